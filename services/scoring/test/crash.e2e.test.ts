import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { contentHash } from '@assay/kit';
import { createTestDatabase, freePort, gql, runScript, type Started } from '@assay/kit/testing';
import pg from 'pg';
import { scoreContent } from '../src/scores/score.entity.ts';

// 200 runs submitted at once to a real scoring process, which is killed with SIGKILL mid-way and
// started again: every run ends DONE, with exactly one score, verified and matching its hash;
// nothing is left live, and runs that were only waiting in the queue are not charged an attempt.

const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';
const RUNS = 200;
const LIVE = `status in ('QUEUED','RUNNING','SCORING')`;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let dataDir: string;
let client: pg.Client;
const processes: Started[] = [];
before(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'assay-crash-'));
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
after(async () => {
  // Whatever failed, no scoring process outlives the test (it would keep the file from ending).
  for (const p of processes) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
  await client?.end();
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function startScoring(port: number): Promise<Started> {
  const scoring = runScript('services/scoring/src/main.ts', {
    DATABASE_URL: db.url,
    ASSAY_DATA_DIR: dataDir,
    ASSAY_SCORING_PORT: String(port),
    ASSAY_HOST: '127.0.0.1',
    ASSAY_SCORING_CONCURRENCY: '2',
    // Short, so runs orphaned by the kill are re-queued within seconds.
    ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: '3000',
    ASSAY_WATCHDOG_INTERVAL_MS: '500',
    // `scoring ready` is logged at info, once the job queue, the workers and the watchdog run
    // (`/readyz` answers 200 as soon as the database is migrated, before them).
    LOG_LEVEL: 'info',
  });
  processes.push(scoring);
  await scoring.waitFor(/"msg":"scoring ready"/, 30_000);
  return scoring;
}

const count = async (sql: string) => Number((await client.query(sql)).rows[0].n);

/** What the scoring processes logged above info (re-queues, failures), printed on a failure. */
function warnings(): string {
  return processes
    .map((p, i) => {
      const lines = p
        .output()
        .split('\n')
        .filter((line) => line && !line.includes('"level":30'));
      return `--- scoring process ${i + 1}:\n${lines.slice(-40).join('\n')}\n`;
    })
    .join('');
}

/** Polls `probe` until it answers true; fails with `describe()` and the processes' warnings after `ms`. */
async function until(ms: number, probe: () => Promise<boolean>, describe: () => Promise<string>) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) {
      console.log(warnings());
      assert.fail(await describe());
    }
    await sleep(100);
  }
}

const statuses = async () =>
  JSON.stringify(
    (await client.query('select status, attempt, count(*)::int as n from scoring.scoring_run group by 1, 2'))
      .rows,
  );

test('200 runs, the scoring process SIGKILLed mid-way and restarted: every run DONE with one verified score', {
  timeout: 120_000,
}, async () => {
  const port = await freePort();
  const first = await startScoring(port);
  const url = `http://127.0.0.1:${port}/graphql`;
  const ids = await Promise.all(
    Array.from({ length: RUNS }, async (_, i) => {
      const result = await gql(
        url,
        'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id } }',
        {
          input: {
            subject: { repository: 'acme/api', prNumber: i + 1, diff: DIFF },
            idempotencyKey: `crash-${i}`,
          },
        },
      );
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      return result.data!.startScoringRun.id as string;
    }),
  );
  assert.equal(new Set(ids).size, RUNS);

  // Kill it while runs are still live: some scored, some in a worker's hands, most queued.
  await until(
    30_000,
    async () => (await count(`select count(*) as n from scoring.scoring_run where status = 'DONE'`)) >= 20,
    async () => `20 runs never got DONE before the kill: ${await statuses()}`,
  );
  first.child.kill('SIGKILL');
  await first.exited;
  const liveAtKill = await count(`select count(*) as n from scoring.scoring_run where ${LIVE}`);
  assert.ok(liveAtKill > 0, 'killed mid-way');
  // Runs only waiting in the queue at the kill (their job not yet fetched) were never touched:
  // they must finish at the attempt they had, not be charged a new one for the crash.
  const waitingAtKill = new Map<string, number>(
    (
      await client.query(
        `select r.id, r.attempt from scoring.scoring_run r where r.status = 'QUEUED' and exists (
           select 1 from scoring_jobs.job j where j.name = 'score-run'
              and j.singleton_key = r.id || ':' || r.attempt and j.state in ('created', 'retry'))`,
      )
    ).rows.map((r) => [r.id, r.attempt]),
  );
  assert.ok(waitingAtKill.size > 0, 'runs were waiting in the queue at the kill');
  // The kill can land between a run's DONE commit and the read-back that marks its score verified;
  // make sure that case is in every run of this test, on the run that finished last.
  const [last] = (
    await client.query(
      `update scoring.score set verified_at = null
        where run_id = (select run_id from scoring.score order by created_at desc limit 1) returning run_id`,
    )
  ).rows;
  await client.query(`update scoring.scoring_run set persistence = 'PENDING' where id = $1`, [last.run_id]);

  await startScoring(port);
  await until(
    60_000,
    async () =>
      (await count(
        `select count(*) as n from scoring.scoring_run r left join scoring.score s on s.run_id = r.id
          where r.${LIVE} or (r.status = 'DONE' and s.verified_at is null)`,
      )) === 0,
    async () => `runs still live or unverified: ${await statuses()}`,
  );

  const runs = (
    await client.query(
      `select r.id, r.status, r.attempt, r.persistence, r.error_code,
              count(s.id)::int as scores, min(s.content_hash) as content_hash,
              bool_and(s.verified_at is not null) as verified,
              jsonb_agg(jsonb_build_object('value', s.value, 'band', s.band, 'criteria', s.criteria,
                'violations', s.violations, 'scorerVersion', s.scorer_version)) as content
         from scoring.scoring_run r left join scoring.score s on s.run_id = r.id group by r.id`,
    )
  ).rows;
  assert.equal(runs.length, RUNS);
  for (const run of runs) {
    assert.equal(run.status, 'DONE', `run ${run.id} is DONE (${run.error_code})`);
    assert.equal(run.scores, 1, `run ${run.id} has one score`);
    assert.equal(run.verified, true, `run ${run.id}'s score is verified`);
    assert.equal(run.persistence, 'VERIFIED', `run ${run.id} is marked VERIFIED`);
    assert.equal(contentHash(scoreContent(run.id, run.content[0])), run.content_hash, `run ${run.id}'s hash`);
  }
  const charged = runs.filter((r) => waitingAtKill.has(r.id) && r.attempt !== waitingAtKill.get(r.id));
  if (charged.length > 0) console.log(warnings());
  assert.deepEqual(
    charged.map((r) => r.id),
    [],
    `of ${waitingAtKill.size} runs waiting in the queue at the kill, ${charged.length} were given a new attempt`,
  );
  const unpersisted = await gql(url, '{ unpersistedScores { id } }');
  assert.equal(unpersisted.errors, undefined, JSON.stringify(unpersisted.errors));
  assert.deepEqual(unpersisted.data!.unpersistedScores, []);
});
