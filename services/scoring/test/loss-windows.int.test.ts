import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '@assay/kit';
import { connectionParamsFor, FakeOpenAI, gql, PgFaultProxy, startReplica } from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { FaultDb } from '../../kit/test/support/fault-db.ts';
import { scoringService } from '../src/app.ts';

// Runs across database outages and restarts (issue 9): each test here failed on 0e3943f.
// The watchdog's heartbeat timeout is ten minutes in every test, so it can rescue nothing: what
// finishes these runs is the mechanism under test.

const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';
const START = `mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id status persistence } }`;
const SCORE = {
  kind: 'json' as const,
  output: {
    value: 7,
    criteria: [{ criterion: 'clarity', score: 7, weight: 1, detail: 'Fine.' }],
    violations: [],
  },
};
const RANK: Record<string, number> = { QUEUED: 0, RUNNING: 1, SCORING: 2, DONE: 3, ERROR: 3, CANCELLED: 3 };

let db: FaultDb;
let openai: FakeOpenAI;
before(async () => {
  db = await FaultDb.start();
  openai = await FakeOpenAI.start();
});
after(async () => {
  await openai?.close();
  await db?.destroy();
});

const replica = (env: NodeJS.ProcessEnv = {}, url = db.url) =>
  startReplica(scoringService, url, {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: openai.url,
    ASSAY_DB_CONNECT_TIMEOUT_MS: '500',
    ASSAY_WRITE_RETRIES: '1',
    ASSAY_BREAKER_HALF_OPEN_MS: '500',
    ASSAY_SPOOL_REPLAY_INTERVAL_MS: '200',
    ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: '600000',
    ASSAY_WATCHDOG_INTERVAL_MS: '500',
    ...env,
  });

async function startRuns(service: RunningService, count: number, scorer: 'RULES' | 'LLM', tag: string) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await gql(service.url, START, {
      input: { subject: { repository: 'acme/api', diff: DIFF }, scorer, idempotencyKey: `${tag}-${i}` },
    });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    ids.push(result.data!.startScoringRun.id);
  }
  return ids;
}

interface RunRow {
  id: string;
  status: string;
  attempt: number;
  verified: boolean;
}

async function runRows(ids: string[]): Promise<RunRow[]> {
  return db.query<RunRow>(
    `select r.id, r.status, r.attempt, s.verified_at is not null as verified
       from scoring.scoring_run r left join scoring.score s on s.run_id = r.id where r.id = any($1)`,
    [ids],
  );
}

async function waitUntilAll(ids: string[], done: (r: RunRow) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let rows: RunRow[] = [];
  while (Date.now() < deadline) {
    rows = await runRows(ids).catch(() => []);
    if (rows.length === ids.length && rows.every(done)) return rows;
    await sleep(200);
  }
  const pending = rows.filter((r) => !done(r));
  throw new Error(
    `${pending.length} of ${ids.length} runs not there: ${JSON.stringify(pending.slice(0, 5))}`,
  );
}

/** Follows every run's progress over graphql-ws, recording (status, attempt) as subscribers see them. */
function follow(service: RunningService, ids: string[]) {
  const client = createClient({
    url: service.url.replace(/^http/, 'ws'),
    connectionParams: connectionParamsFor(service.url),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  const seen = new Map<string, { status: string; attempt: number }[]>(ids.map((id) => [id, []]));
  for (const id of ids) {
    void (async () => {
      for await (const result of client.iterate<{ scoringRunProgress: { status: string; attempt: number } }>({
        query: 'subscription($id: ID!) { scoringRunProgress(runId: $id) { status attempt } }',
        variables: { id },
      })) {
        if (result.data) seen.get(id)!.push(result.data.scoringRunProgress);
      }
    })().catch(() => undefined);
  }
  return {
    seen,
    close: () => client.dispose(),
    /** No subscriber ever saw a run go back to an earlier state, or to an earlier attempt. */
    assertNeverBackwards() {
      for (const [id, events] of seen) {
        for (let i = 1; i < events.length; i++) {
          const [a, b] = [events[i - 1]!, events[i]!];
          const backwards =
            b.attempt < a.attempt || (b.attempt === a.attempt && RANK[b.status]! < RANK[a.status]!);
          assert.ok(!backwards, `run ${id} went back: ${JSON.stringify(events)}`);
        }
      }
    },
  };
}

describe('runs across outages and restarts (a PostgreSQL this file stops)', { timeout: 240_000 }, () => {
  it('PostgreSQL stopped mid-run: every run DONE with its first score, one model call each, no state goes back', async () => {
    openai.reset();
    openai.otherwise(() => ({ ...SCORE, delayMs: 1500 }));
    const service = await replica({ ASSAY_SCORING_CONCURRENCY: '10' });
    try {
      const ids = await startRuns(service, 50, 'LLM', 'mid-run');
      const watching = follow(service, ids);
      // Stop the database while ten runs wait on the model, so their steps and DONE are spooled.
      await openai.waitForRequests(15, 60_000);
      await db.server.stop();
      await sleep(4000);
      await db.server.start();
      const rows = await waitUntilAll(ids, (r) => r.status === 'DONE' && r.verified, 120_000);
      assert.deepEqual(
        rows.filter((r) => r.attempt !== 0).map((r) => r.id),
        [],
        'no run was re-scored at a new attempt',
      );
      assert.equal(openai.requests.length, ids.length, 'one model call per run: nothing paid for twice');
      await sleep(500);
      watching.assertNeverBackwards();
      watching.close();
    } finally {
      await service.stop();
    }
  });

  it('200 runs across a 5 s outage: all DONE soon after the database is back, not after the heartbeat timeout', async () => {
    const service = await replica({ ASSAY_SCORING_CONCURRENCY: '4' });
    try {
      const starting = startRuns(service, 200, 'RULES', 'outage');
      await sleep(300);
      await db.server.stop();
      await sleep(5000);
      await db.server.start();
      const ids = await starting;
      const rows = await waitUntilAll(ids, (r) => r.status === 'DONE' && r.verified, 90_000);
      assert.equal(rows.length, 200);
    } finally {
      await service.stop();
    }
  });

  it('a graceful stop with 20 runs waiting on the model hands them back: a new process finishes them at the same attempt', async () => {
    openai.reset();
    openai.otherwise(() => ({ ...SCORE, delayMs: 60_000 }));
    const first = await replica({ ASSAY_SCORING_CONCURRENCY: '20' });
    let ids: string[] = [];
    try {
      ids = await startRuns(first, 20, 'LLM', 'sigterm');
      await openai.waitForRequests(20, 60_000);
    } finally {
      await first.stop(); // what SIGTERM does
    }
    openai.reset();
    openai.otherwise(() => SCORE);
    const second = await replica({ ASSAY_SCORING_CONCURRENCY: '20' });
    try {
      const rows = await waitUntilAll(ids, (r) => r.status === 'DONE' && r.verified, 60_000);
      assert.deepEqual(
        rows.filter((r) => r.attempt !== 0).map((r) => [r.id, r.attempt]),
        [],
        'no attempt charged for a deploy',
      );
    } finally {
      await second.stop();
    }
  });

  it('the same idempotency key spooled twice while the database is away answers the same run', async () => {
    const service = await replica({ ASSAY_SCORING_CONCURRENCY: '0' });
    try {
      await db.server.stop();
      const input = { subject: { repository: 'acme/api', diff: DIFF }, idempotencyKey: 'twice-away' };
      const a = await gql(service.url, START, { input });
      const b = await gql(service.url, START, { input });
      assert.equal(a.data!.startScoringRun.persistence, 'SPOOLED');
      assert.equal(b.data!.startScoringRun.persistence, 'SPOOLED');
      assert.equal(a.data!.startScoringRun.id, b.data!.startScoringRun.id);
    } finally {
      await db.server.start();
      await service.stop();
    }
  });

  it('the pub/sub connections blackholed mid-run: transitions go on, and a subscriber still reaches DONE', async () => {
    openai.reset();
    openai.otherwise(() => ({ ...SCORE, delayMs: 1500 }));
    const proxy = await PgFaultProxy.start({ host: '127.0.0.1', port: db.port });
    const service = await replica({ ASSAY_SCORING_CONCURRENCY: '4' }, proxy.urlFor(db.url));
    try {
      const [watched] = await startRuns(service, 1, 'LLM', 'blackhole-watched');
      const watching = follow(service, [watched!]);
      await openai.waitForRequests(1, 30_000);
      // Both the NOTIFY and the LISTEN connection stop passing packets, and nothing is closed.
      assert.equal(
        proxy.blackhole((name) => name?.startsWith('assay-pubsub') ?? false),
        2,
      );
      const later = await startRuns(service, 3, 'RULES', 'blackhole-later');
      // Every transition after the blackhole publishes into it; none of them may wait on it.
      await waitUntilAll(later, (r) => r.status === 'DONE' && r.verified, 20_000);
      const deadline = Date.now() + 30_000;
      const last = () => watching.seen.get(watched!)!.at(-1)?.status;
      while (last() !== 'DONE' && Date.now() < deadline) await sleep(100);
      assert.equal(last(), 'DONE', `the subscriber saw ${JSON.stringify(watching.seen.get(watched!))}`);
      watching.assertNeverBackwards();
      watching.close();
    } finally {
      await service.stop();
      await proxy.close();
    }
  });

  it('a worker whose own database connections are refused after fetching jobs waits for them, and scores its runs once they are back', async () => {
    const proxy = await PgFaultProxy.start({ host: '127.0.0.1', port: db.port });
    const api = await replica({ ASSAY_SCORING_CONCURRENCY: '0' });
    const worker = await replica({ ASSAY_SCORING_CONCURRENCY: '2' }, proxy.urlFor(db.url));
    try {
      // The worker's job queue still reaches PostgreSQL (pg-boss fetches and could settle jobs);
      // its service connections do not, so reading a fetched run fails, longer than pg-boss's
      // retries of a failed job last (1 + 2 + 4 s).
      proxy.refuse((name) => name === 'assay-scoring');
      const ids = await startRuns(api, 4, 'RULES', 'worker-cut');
      await sleep(12_000);
      proxy.allow();
      const rows = await waitUntilAll(ids, (r) => r.status === 'DONE' && r.verified, 20_000);
      assert.deepEqual(
        rows.filter((r) => r.attempt !== 0).map((r) => r.id),
        [],
        'no attempt charged',
      );
    } finally {
      await worker.stop();
      await api.stop();
      await proxy.close();
    }
  });
});
