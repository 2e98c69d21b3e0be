import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '@assay/kit';
import { FakeOpenAI, freePort, gql, runScript, type Started, startReplica } from '@assay/kit/testing';
import { FaultDb } from '../../kit/test/support/fault-db.ts';
import { scoringService } from '../../scoring/src/app.ts';
import { failureCatalogService } from '../src/app.ts';

// Failures travel by transactional outbox: written with the run's transition in scoring's schema,
// taken by the failure catalog in its own transactions. Real PostgreSQL (one this file stops),
// real scoring and catalog services sharing it, as `npm start` runs them.

const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';
const START = 'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id } }';

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

const scoring = (env: NodeJS.ProcessEnv = {}) =>
  startReplica(scoringService, db.url, {
    ASSAY_DB_CONNECT_TIMEOUT_MS: '500',
    ASSAY_WRITE_RETRIES: '1',
    ASSAY_BREAKER_HALF_OPEN_MS: '500',
    ASSAY_SPOOL_REPLAY_INTERVAL_MS: '200',
    ...env,
  });
const catalog = () =>
  startReplica(failureCatalogService, db.url, { ASSAY_FAILURE_INTAKE_INTERVAL_MS: '200' });

async function llmRuns(service: RunningService, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await gql(service.url, START, {
      input: {
        subject: { repository: 'acme/api', diff: DIFF },
        scorer: 'LLM',
        idempotencyKey: `${tag}-${i}`,
      },
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    ids.push(r.data!.startScoringRun.id);
  }
  return ids;
}

const count = async (sql: string, params: unknown[] = []) =>
  Number((await db.query<{ n: string }>(sql, params))[0]!.n);

async function until(what: string, ms: number, probe: () => Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('failure intake by transactional outbox', { timeout: 120_000 }, () => {
  it('a run ended in ERROR arrives in the catalog once, matched EXACT, and scoringRun failures serve it', async () => {
    const producer = await scoring(); // no OPENAI_API_KEY: an LLM run ends in ERROR (SCORER_UNAVAILABLE)
    const consumer = await catalog();
    try {
      const [id] = await llmRuns(producer, 1, 'one');
      await until(
        'the failure in the catalog',
        20_000,
        async () =>
          (await count('select count(*) as n from failure_catalog.failure_match where run_id = $1', [id])) ===
          1,
      );
      const [row] = await db.query<{
        error_code: string;
        match_type: string;
        stage: string;
        service: string;
      }>(
        'select error_code, match_type, stage, service from failure_catalog.failure_match where run_id = $1',
        [id],
      );
      assert.deepEqual(row, {
        error_code: 'SCORER_UNAVAILABLE',
        match_type: 'EXACT',
        stage: 'run',
        service: 'scoring',
      });
      assert.equal(
        await count('select count(*) as n from scoring.failure_outbox'),
        0,
        'taken from the outbox',
      );
      const result = await gql(
        consumer.url,
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on ScoringRun { failures { errorCode matchType } } } }',
        { r: [{ __typename: 'ScoringRun', id }] },
      );
      assert.deepEqual(result.data!._entities[0].failures, [
        { errorCode: 'SCORER_UNAVAILABLE', matchType: 'EXACT' },
      ]);
    } finally {
      await consumer.stop();
      await producer.stop();
    }
  });

  it('the catalog stopped: 200 failing runs wait in the outbox, then arrive once each when it is back', async () => {
    const producer = await scoring();
    try {
      const ids = await llmRuns(producer, 200, 'down');
      await until(
        '200 runs in ERROR',
        60_000,
        async () =>
          (await count(
            `select count(*) as n from scoring.scoring_run where id = any($1) and status = 'ERROR'`,
            [ids],
          )) === 200,
      );
      assert.equal(
        await count('select count(*) as n from scoring.failure_outbox where run_id = any($1)', [ids]),
        200,
      );
      const consumer = await catalog();
      try {
        await until(
          'the outbox drained',
          30_000,
          async () => (await count('select count(*) as n from scoring.failure_outbox')) === 0,
        );
        assert.equal(
          await count(
            'select count(distinct run_id) as n from failure_catalog.failure_match where run_id = any($1)',
            [ids],
          ),
          200,
        );
        assert.equal(
          await count('select count(*) as n from failure_catalog.failure_match where run_id = any($1)', [
            ids,
          ]),
          200,
          'no duplicates',
        );
      } finally {
        await consumer.stop();
      }
    } finally {
      await producer.stop();
    }
  });

  it('the database away when the run fails: the failure is spooled with its transition and arrives after recovery', async () => {
    openai.reset();
    openai.otherwise({ kind: 'error', status: 401, delayMs: 1500 });
    const producer = await scoring({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url });
    try {
      const [id] = await llmRuns(producer, 1, 'away');
      await openai.waitForRequests(1, 20_000);
      await db.server.stop(); // the model answers 401 while PostgreSQL is stopped
      await sleep(3000);
      assert.ok(producer.writer.spool.depth > 0, 'the ERROR transition was spooled');
      await db.server.start();
      const consumer = await catalog();
      try {
        await until(
          'the failure in the catalog',
          30_000,
          async () =>
            (await count(
              `select count(*) as n from failure_catalog.failure_match where run_id = $1 and error_code = 'LLM_REQUEST_FAILED'`,
              [id],
            )) === 1,
        );
        assert.equal(
          await count(`select count(*) as n from scoring.scoring_run where id = $1 and status = 'ERROR'`, [
            id,
          ]),
          1,
        );
      } finally {
        await consumer.stop();
      }
    } finally {
      await producer.stop();
    }
  });
  it('a retryable failure of a run that then succeeds becomes RECOVERED by system, with its history', async () => {
    openai.reset();
    openai.enqueue(
      { kind: 'error', status: 503 },
      {
        kind: 'json',
        output: {
          value: 6,
          criteria: [{ criterion: 'clarity', score: 6, weight: 1, detail: 'Fine.' }],
          violations: [],
        },
      },
    );
    // No retry inside the model call: the 503 fails the attempt, whose job is retried.
    const producer = await scoring({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      ASSAY_LLM_RETRIES: '0',
    });
    const consumer = await catalog();
    try {
      const [id] = await llmRuns(producer, 1, 'recovers');
      await until('the run DONE with its failure RECOVERED', 30_000, async () => {
        const rows = await db.query<{ recovery_status: string }>(
          `select f.recovery_status from failure_catalog.failure_match f join scoring.scoring_run r on r.id::text = f.run_id
           where f.run_id = $1 and r.status = 'DONE'`,
          [id],
        );
        return rows.length === 1 && rows[0]!.recovery_status === 'RECOVERED';
      });
      const result = await gql(
        consumer.url,
        `query($r: [_Any!]!) { _entities(representations: $r) { ... on ScoringRun { failures {
           errorCode retryable stage recoveryStatus recoveredBy recoveryHistory { fromStatus toStatus changedBy note } } } } }`,
        { r: [{ __typename: 'ScoringRun', id }] },
      );
      const [failure] = result.data!._entities[0].failures;
      assert.match(failure.stage, /^attempt:\d+$/);
      assert.deepEqual(result.data!._entities[0].failures, [
        {
          errorCode: 'LLM_REQUEST_FAILED',
          retryable: true,
          stage: failure.stage,
          recoveryStatus: 'RECOVERED',
          recoveredBy: 'system',
          recoveryHistory: [
            {
              fromStatus: 'UNRECOVERED',
              toStatus: 'RECOVERED',
              changedBy: 'system',
              note: 'the run reached DONE',
            },
          ],
        },
      ]);
    } finally {
      await consumer.stop();
      await producer.stop();
    }
  });

  it('the relay SIGKILLed mid-intake: 10,000 failures with distinct codes arrive once each, and the metrics stay bounded', async () => {
    const tag = `K${Date.now()}`;
    await db.query(
      `insert into scoring.failure_outbox (id, tenant_id, service, run_id, error_code, error_message, retryable, stage,
         trace_id, context, occurred_at)
       select gen_random_uuid(), 'default', 'scoring', gen_random_uuid()::text, $1 || '_' || md5(random()::text),
         'synthetic failure ' || i, false, 'run', null, null, now()
       from generate_series(1, 10000) as i`,
      [tag],
    );
    const stored = () =>
      count('select count(*) as n from failure_catalog.failure_match where error_code like $1', [`${tag}_%`]);
    const waiting = () =>
      count('select count(*) as n from scoring.failure_outbox where error_code like $1', [`${tag}_%`]);
    const dataDir = await mkdtemp(join(tmpdir(), 'assay-relay-'));
    const relay = async (): Promise<{ process: Started; port: number }> => {
      const port = await freePort();
      const process = runScript('services/failure-catalog/src/main.ts', {
        DATABASE_URL: db.url,
        ASSAY_DATA_DIR: dataDir,
        ASSAY_HOST: '127.0.0.1',
        ASSAY_FAILURE_CATALOG_PORT: String(port),
        ASSAY_FAILURE_INTAKE_INTERVAL_MS: '200',
      });
      return { process, port };
    };
    try {
      const first = await relay();
      await until('a first batch stored', 60_000, async () => (await stored()) > 0);
      first.process.child.kill('SIGKILL');
      await first.process.exited;
      const [taken, left] = [await stored(), await waiting()];
      assert.ok(left > 0, `killed before the end (${taken} stored)`);
      assert.equal(
        taken + left,
        10_000,
        'killed mid-intake: every failure is either stored or still waiting',
      );

      const second = await relay();
      try {
        await until('the outbox drained', 120_000, async () => (await waiting()) === 0);
        assert.equal(await stored(), 10_000, 'each failure stored once');
        assert.equal(
          await count(
            'select count(distinct id) as n from failure_catalog.failure_match where error_code like $1',
            [`${tag}_%`],
          ),
          10_000,
        );
        // Every metric of the catalog, after 10,000 distinct codes: a bounded set of series, no code in a label.
        let exposition = '';
        await until('the depth gauge at 0', 10_000, async () => {
          exposition = await (await fetch(`http://127.0.0.1:${second.port}/metrics`)).text();
          return /assay_failure_outbox_depth\{[^}]*producer="scoring"[^}]*\} 0\b/.test(exposition);
        });
        const series = exposition.split('\n').filter((l) => l.startsWith('assay_failure'));
        const recorded = series.filter((l) => l.startsWith('assay_failures_recorded_total{'));
        assert.ok(recorded.length >= 1 && recorded.length <= 10, recorded.join('\n'));
        assert.ok(
          recorded.some((l) => /category="uncatalogued"/.test(l) && /match_type="NONE"/.test(l)),
          recorded.join('\n'),
        );
        assert.ok(!exposition.includes(tag), 'no error code as a label value');
        assert.ok(series.length < 100, `${series.length} failure series`);
        assert.ok(series.some((l) => l.startsWith('assay_failure_intake_lag_seconds_bucket')));
      } finally {
        second.process.child.kill('SIGTERM');
        await second.process.exited;
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
