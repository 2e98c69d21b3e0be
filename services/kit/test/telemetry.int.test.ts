import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind, TraceFlags, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
// Telemetry first, as in every main.ts: instrumentation patches modules as they load.
import { startTelemetry } from '../src/telemetry/telemetry.ts';

const exporter = new InMemorySpanExporter();
const telemetry = startTelemetry('telemetry-test', {
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const { gql, startTestService } = await import('@assay/kit/testing');
const { scoringService } = await import('@assay/scoring');

describe('telemetry (real HTTP, GraphQL and PostgreSQL)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  before(async () => {
    service = await startTestService(scoringService);
  });
  after(async () => {
    await service.stopAndDrop();
    await telemetry.shutdown();
  });

  it('continues the caller trace through HTTP, GraphQL and pg spans, without input values', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    exporter.reset();
    // This process is instrumented too, so the client's fetch injects the traceparent of the active context.
    const caller = trace.setSpanContext(context.active(), {
      traceId,
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const result = await context.with(caller, () =>
      gql(
        service.url,
        'mutation { startScoringRun(input: { subject: { repository: "acme/secret-repo", diff: "+token=abc" } }) { traceId } }',
      ),
    );
    assert.equal(result.data!.startScoringRun.traceId, traceId);
    // The server span ends when the response has been written, just after the client has it.
    let spans = exporter.getFinishedSpans();
    for (let i = 0; i < 50 && !spans.some((s) => s.kind === SpanKind.SERVER); i++) {
      await new Promise((r) => setTimeout(r, 20));
      spans = exporter.getFinishedSpans();
    }
    spans = spans.filter((s) => s.spanContext().traceId === traceId);
    const names = spans.map((s) => s.name);
    assert.ok(
      names.some((n) => /^POST/.test(n)),
      `an HTTP server span in ${names}`,
    );
    assert.ok(
      names.some((n) => n.startsWith('graphql.')),
      `a GraphQL span in ${names}`,
    );
    assert.ok(
      spans.some(
        (s) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql',
      ),
      `a pg span in ${names}`,
    );
    const insert = spans
      .map((s) => String(s.attributes['db.query.text'] ?? ''))
      .find((q) => q.startsWith('insert'));
    assert.match(
      insert ?? '',
      /^insert into "scoring"\."scoring_run" \(.*\) values \(\?, \?/,
      'the statement shape is kept',
    );
    const attributes = JSON.stringify(spans.map((s) => s.attributes));
    assert.doesNotMatch(
      attributes,
      /token=abc|secret-repo/,
      `no argument values in span attributes: ${attributes}`,
    );
  });
});
