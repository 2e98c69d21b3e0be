import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connectionParamsFor,
  createTestDatabase,
  credentialsFor,
  freePort,
  gql,
  runScript,
  type Started,
  systemPorts,
} from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';

// Live progress through the gateway, across replicas. The system runs with its scoring process B set
// to serve the API only (concurrency 0): the gateway sends mutations and subscriptions there. The
// run is executed by a second scoring process, A, started only after the client has subscribed, so
// the client sees the whole life of a run it did not start on the replica that executes it.

const DIFF = [
  'diff --git a/src/app.ts b/src/app.ts',
  '--- a/src/app.ts',
  '+++ b/src/app.ts',
  '@@ -1,2 +1,3 @@',
  ' const a = 1;',
  '+const b = 2;',
  ' export { a };',
  'diff --git a/test/app.test.ts b/test/app.test.ts',
  '--- a/test/app.test.ts',
  '+++ b/test/app.test.ts',
  '@@ -1 +1,2 @@',
  ' test("a", () => {});',
  '+test("b", () => {});',
  '',
].join('\n');

const PROGRESS = `subscription($id: ID!) {
  scoringRunProgress(runId: $id) { runId status progressStep progressPct attempt at }
}`;

interface Progress {
  runId: string;
  status: string;
  progressStep: string | null;
  progressPct: number;
  attempt: number;
  at: string;
}

const ORDER = ['QUEUED', 'RUNNING', 'SCORING', 'DONE'];

/** Reads a graphql-sse ("distinct connections") response: each `next` event's data, until `complete`. */
async function readSse(response: Response): Promise<unknown[]> {
  const events: unknown[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (\w+)/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event === 'complete') return events;
      if (event === 'next' && data) events.push(JSON.parse(data));
    }
  }
  return events;
}

describe('live progress through the gateway, two scoring processes', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let system: Started;
  let executor: Started | undefined;
  let url: string;

  before(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'assay-progress-'));
    await chmod(dataDir, 0o755);
    system = runScript('scripts/start.ts', {
      DATABASE_URL: database.url,
      ASSAY_DATA_DIR: join(dataDir, 'b'),
      ...(await systemPorts()),
      ASSAY_SCORING_CONCURRENCY: '0',
    });
    url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
  });
  after(async () => {
    for (const process of [executor, system]) {
      if (process && process.child.exitCode === null) {
        process.child.kill('SIGTERM');
        await process.exited;
      }
    }
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('delivers QUEUED … DONE in order, over graphql-ws and SSE, for a run another replica executes', {
    timeout: 90_000,
  }, async () => {
    const started = await gql(
      url,
      'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id status } }',
      { input: { subject: { repository: 'acme/api', prNumber: 7, diff: DIFF } } },
    );
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    const runId = started.data!.startScoringRun.id as string;
    assert.equal(started.data!.startScoringRun.status, 'QUEUED');

    const ws = createClient({
      url: url.replace(/^http/, 'ws'),
      connectionParams: connectionParamsFor(url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    const overWs: Progress[] = [];
    const wsDone = (async () => {
      for await (const result of ws.iterate<{ scoringRunProgress: Progress }>({
        query: PROGRESS,
        variables: { id: runId },
      })) {
        assert.equal(result.errors, undefined, JSON.stringify(result.errors));
        overWs.push(result.data!.scoringRunProgress);
      }
    })();
    const sse = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...credentialsFor(url) },
      body: JSON.stringify({ query: PROGRESS, variables: { id: runId } }),
    });
    assert.equal(sse.status, 200);
    assert.match(sse.headers.get('content-type') ?? '', /text\/event-stream/);
    const sseDone = readSse(sse);

    // Nobody executes the run yet: both subscribers get its current state first.
    for (let i = 0; i < 200 && overWs.length === 0; i++) await sleep(25);
    assert.deepEqual(
      overWs.map((p) => p.status),
      ['QUEUED'],
    );

    executor = runScript('services/scoring/src/main.ts', {
      DATABASE_URL: database.url,
      ASSAY_DATA_DIR: join(dataDir, 'a'),
      ASSAY_HOST: '127.0.0.1',
      ASSAY_SCORING_PORT: String(await freePort()),
      ASSAY_SCORING_CONCURRENCY: '2',
    });
    await Promise.race([
      wsDone,
      executor.exited.then(() => assert.fail(`executor exited: ${executor!.output()}`)),
    ]);
    ws.dispose();
    const sseEvents = (await sseDone) as { data: { scoringRunProgress: Progress } }[];

    const statuses = overWs.map((p) => p.status);
    assert.equal(statuses[0], 'QUEUED');
    assert.equal(statuses.at(-1), 'DONE', `completes after DONE: ${statuses}`);
    assert.ok(statuses.includes('RUNNING') && statuses.includes('SCORING'), `every stage: ${statuses}`);
    for (let i = 1; i < overWs.length; i++) {
      const [before, now] = [overWs[i - 1]!, overWs[i]!];
      assert.ok(ORDER.indexOf(now.status) >= ORDER.indexOf(before.status), `in order: ${statuses}`);
      assert.ok(now.progressPct >= before.progressPct, `progress never goes back: ${JSON.stringify(overWs)}`);
      assert.ok(Date.parse(now.at) >= Date.parse(before.at));
    }
    assert.ok(
      overWs.every((p) => p.runId === runId && p.attempt === overWs[0]!.attempt),
      `one attempt: ${JSON.stringify(overWs)}`,
    );
    assert.equal(overWs.at(-1)!.progressPct, 100);
    assert.deepEqual(
      sseEvents.map((e) => e.data.scoringRunProgress),
      overWs,
      'SSE subscribers see the same events',
    );

    // The persisted, verified score, through the gateway, matches the stored row.
    const result = await gql(
      url,
      'query($id: ID!) { scoringRun(id: $id) { status score { value band contentHash verifiedAt } } }',
      { id: runId },
    );
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    const run = result.data!.scoringRun as {
      status: string;
      score: { value: number; contentHash: string; verifiedAt: string | null };
    };
    assert.equal(run.status, 'DONE');
    assert.match(run.score.contentHash, /^[0-9a-f]{64}$/);
    assert.ok(run.score.verifiedAt);
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      const stored = await client.query('select content_hash, value from scoring.score where run_id = $1', [
        runId,
      ]);
      assert.equal(stored.rowCount, 1);
      assert.equal(stored.rows[0].content_hash, run.score.contentHash);
      assert.equal(Number(stored.rows[0].value), run.score.value);
    } finally {
      await client.end();
    }
  });

  it('answers a subscription to an unknown or malformed run with a coded error', async () => {
    const ws = createClient({
      url: url.replace(/^http/, 'ws'),
      connectionParams: connectionParamsFor(url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    try {
      for (const [id, code] of [
        ['00000000-0000-4000-8000-000000000000', 'NOT_FOUND'],
        ['not-a-uuid', 'BAD_USER_INPUT'],
      ] as const) {
        const results = [];
        for await (const result of ws.iterate({ query: PROGRESS, variables: { id } })) results.push(result);
        assert.equal(results.length, 1);
        const errors = results[0]!.errors!;
        assert.equal(errors[0]!.extensions?.code, code, JSON.stringify(errors));
        assert.match(errors[0]!.message, id === 'not-a-uuid' ? /not a UUID/ : /does not exist/);
      }
    } finally {
      ws.dispose();
    }
  });
});
