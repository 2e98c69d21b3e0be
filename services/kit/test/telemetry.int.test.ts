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
        'mutation { startScoringRun(input: { subject: { repository: "acme/secret-repo", diff: "diff --git a/x b/x\\n+token=abc" } }) { traceId } }',
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

  it('keeps one trace per run: the job that scores it continues the request trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    exporter.reset();
    const caller = trace.setSpanContext(context.active(), {
      traceId,
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const diff = 'diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-x\n+y\n';
    const started = await context.with(caller, () =>
      gql(
        service.url,
        'mutation($d: String!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d } }) { id } }',
        { d: diff },
      ),
    );
    const id = started.data!.startScoringRun.id as string;
    // Polled outside the caller's context: only the run's own work may land in its trace.
    const names = () =>
      exporter
        .getFinishedSpans()
        .filter((s) => s.spanContext().traceId === traceId)
        .map((s) => s.name);
    // The job's consumer span ends when its handler returns, just after the run's last write.
    const consumed = () =>
      exporter
        .getFinishedSpans()
        .some((s) => s.spanContext().traceId === traceId && s.kind === SpanKind.CONSUMER);
    for (let i = 0; i < 200 && !(names().includes('persist scoring.run.complete') && consumed()); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const status = await gql(service.url, 'query($id: ID!) { scoringRun(id: $id) { status } }', { id });
    assert.equal(status.data!.scoringRun.status, 'DONE');
    const spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    assert.ok(
      spans.some((s) => s.kind === SpanKind.CONSUMER),
      `the job's consumer span in ${names()}`,
    );
    for (const write of ['persist scoring.run.transition', 'persist scoring.run.complete']) {
      assert.ok(names().includes(write), `${write} in ${names()}`);
    }
  });

  it("keeps a run re-queued by the watchdog in the run's trace", async () => {
    // API only (no worker takes the job), with a watchdog that acts within a second.
    const apiOnly = await startTestService(scoringService, {
      ASSAY_SCORING_CONCURRENCY: '0',
      ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: '500',
      ASSAY_WATCHDOG_INTERVAL_MS: '100',
    });
    try {
      const traceId = 'a3ce929d0e0e47364bf92f3577b34da6';
      const caller = trace.setSpanContext(context.active(), {
        traceId,
        spanId: '53995c3f42cd8ad8',
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
      const started = await context.with(caller, () =>
        gql(
          apiOnly.url,
          'mutation { startScoringRun(input: { subject: { repository: "acme/api", diff: "diff --git a/y b/y\\n+y" } }) { id } }',
        ),
      );
      const id = started.data!.startScoringRun.id as string;
      // As if a worker had taken it and died: RUNNING, silent.
      await apiOnly.orm.em
        .getConnection()
        .execute(
          "update scoring.scoring_run set status = 'RUNNING', heartbeat_at = now() - interval '1 hour' where id = ?",
          [id],
        );
      const recovered = () =>
        exporter
          .getFinishedSpans()
          .filter((s) => s.name === 'scoring.watchdog.recover' && s.attributes['assay.run.id'] === id);
      for (let i = 0; i < 200 && recovered().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      const run = await gql(apiOnly.url, 'query($id: ID!) { scoringRun(id: $id) { status attempt } }', {
        id,
      });
      assert.deepEqual(run.data!.scoringRun, { status: 'QUEUED', attempt: 1 });
      const [span] = recovered();
      assert.equal(span?.spanContext().traceId, traceId, 'the recovery is part of the run trace');
      const inTrace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
      assert.equal(
        inTrace.filter((s) => s.kind === SpanKind.PRODUCER).length,
        2,
        `the first attempt's job and the re-queued one, sent in the run trace: ${inTrace.map((s) => s.name)}`,
      );
    } finally {
      await apiOnly.stopAndDrop();
    }
  });
});
