import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, freePort, gql, runScript, type Started } from '@assay/kit/testing';

// With OTEL_EXPORTER_OTLP_ENDPOINT set, a process sends its traces and its logs over OTLP/HTTP (the
// compose stack's Loki then has every log line with its trace id, linked to Tempo); with
// OTEL_METRICS_EXPORTER=none its metrics stay on /metrics for Prometheus. The collector here is a
// real HTTP server that records what arrives.

const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';

interface LogRecord {
  traceId?: string;
  spanId?: string;
  severityText?: string;
  body?: { stringValue?: string };
}

describe('telemetry over OTLP', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let collector: Server;
  let scoring: Started;
  let port: number;
  const received: { path: string; body: unknown }[] = [];

  before(async () => {
    database = await createTestDatabase();
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        received.push({
          path: req.url ?? '',
          body: req.headers['content-type']?.includes('json') ? JSON.parse(text) : text,
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    const collectorPort = await freePort();
    await new Promise<void>((resolve) => collector.listen(collectorPort, '127.0.0.1', resolve));
    port = await freePort();
    scoring = runScript('services/scoring/src/main.ts', {
      DATABASE_URL: database.url,
      ASSAY_HOST: '127.0.0.1',
      ASSAY_SCORING_PORT: String(port),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    for (let ready = false; !ready; await sleep(100)) {
      assert.equal(scoring.child.exitCode, null, scoring.output());
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
    }
  });
  after(async () => {
    scoring?.child.kill('SIGTERM');
    await scoring?.exited;
    await new Promise((resolve) => collector?.close(resolve));
    await database?.drop();
  });

  const logRecords = (): LogRecord[] =>
    received
      .filter((r) => r.path === '/v1/logs')
      .flatMap((r) =>
        (r.body as { resourceLogs: { scopeLogs: { logRecords: LogRecord[] }[] }[] }).resourceLogs.flatMap(
          (rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords),
        ),
      );

  it("a run's log line arrives over OTLP with the run's trace id; metrics are not pushed", async () => {
    const url = `http://127.0.0.1:${port}/graphql`;
    const started = await gql(
      url,
      'mutation($d: String!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d }, scorer: LLM }) { id traceId } }',
      { d: DIFF },
    );
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    const { traceId } = started.data!.startScoringRun as { traceId: string };
    assert.match(traceId, /^[0-9a-f]{32}$/);
    let line: LogRecord | undefined;
    for (let i = 0; i < 100 && !line; i++, await sleep(100)) {
      line = logRecords().find(
        (r) => r.traceId === traceId && /scoring run failed/.test(r.body?.stringValue ?? ''),
      );
    }
    assert.ok(line, `the run's warning arrived over OTLP: ${JSON.stringify(logRecords().slice(0, 3))}`);
    assert.match(line.spanId ?? '', /^[0-9a-f]{16}$/);
    for (let i = 0; i < 100 && !received.some((r) => r.path === '/v1/traces'); i++) await sleep(100);
    assert.ok(
      received.some((r) => r.path === '/v1/traces'),
      'traces are exported too',
    );
    assert.ok(
      !received.some((r) => r.path === '/v1/metrics'),
      'OTEL_METRICS_EXPORTER=none: metrics only on /metrics',
    );
    assert.match(
      await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
      /assay_scoring_run_transitions_total/,
    );
  });
});
