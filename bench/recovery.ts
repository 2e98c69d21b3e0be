// How fast runs finish after PostgreSQL comes back, and what an outage costs in model calls.
// The two outages of services/scoring/test/loss-windows.int.test.ts, timed instead of asserted:
//  1. `--outage` RULES runs started while the database is stopped for `--outage-s` seconds.
//  2. `--mid-run` LLM runs (model answers after 1.5 s) with the database stopped for 4 s while
//     ten of them wait on the model, so their steps and DONE are spooled.
// For each: seconds from the database accepting connections again to the last run DONE and
// verified, and model calls per run. The watchdog's heartbeat timeout is ten minutes, so none
// of this is the watchdog rescuing runs.
//   npm run bench -- recovery [--outage 200] [--outage-s 5] [--mid-run 50]
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { RunningService } from '@assay/kit';
import { FakeOpenAI, gql, startReplica } from '@assay/kit/testing';
import { FaultDb } from '../services/kit/test/support/fault-db.ts';
import { scoringService } from '../services/scoring/src/app.ts';

const { values } = parseArgs({
  options: {
    outage: { type: 'string', default: '200' },
    'outage-s': { type: 'string', default: '5' },
    'mid-run': { type: 'string', default: '50' },
  },
});

const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';
const START = 'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id } }';
const SCORE = {
  kind: 'json' as const,
  output: {
    value: 7,
    criteria: [{ criterion: 'clarity', score: 7, weight: 1, detail: 'Fine.' }],
    violations: [],
  },
};

const db = await FaultDb.start();
const openai = await FakeOpenAI.start();
const replica = (concurrency: number) =>
  startReplica(scoringService, db.url, {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: openai.url,
    ASSAY_DB_CONNECT_TIMEOUT_MS: '500',
    ASSAY_WRITE_RETRIES: '1',
    ASSAY_BREAKER_HALF_OPEN_MS: '500',
    ASSAY_SPOOL_REPLAY_INTERVAL_MS: '200',
    ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: '600000',
    ASSAY_WATCHDOG_INTERVAL_MS: '500',
    ASSAY_SCORING_CONCURRENCY: String(concurrency),
  });

async function startRuns(service: RunningService, count: number, scorer: string, tag: string) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await gql(service.url, START, {
      input: { subject: { repository: 'acme/api', diff: DIFF }, scorer, idempotencyKey: `${tag}-${i}` },
    });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    ids.push(result.data!.startScoringRun.id);
  }
  return ids;
}

/** Restarts the database and returns seconds from its being up to every run DONE and verified. */
async function secondsToAllDone(
  ids: () => Promise<string[]>,
): Promise<{ seconds: number; attempts: number }> {
  await db.server.start();
  const back = performance.now();
  const all = await ids();
  for (;;) {
    const [row] = await db
      .query<{ done: string; retried: string }>(
        `select count(*) filter (where r.status = 'DONE' and s.verified_at is not null) as done,
                count(*) filter (where r.attempt > 0) as retried
           from scoring.scoring_run r left join scoring.score s on s.run_id = r.id where r.id = any($1)`,
        [all],
      )
      .catch(() => [{ done: '0', retried: '0' }]);
    if (Number(row!.done) === all.length) {
      return { seconds: (performance.now() - back) / 1000, attempts: Number(row!.retried) };
    }
    await sleep(50);
  }
}

try {
  {
    const count = Number(values.outage);
    const service = await replica(4);
    const starting = startRuns(service, count, 'RULES', `bench-outage-${Date.now()}`);
    await sleep(300);
    await db.server.stop();
    await sleep(Number(values['outage-s']) * 1000);
    const { seconds, attempts } = await secondsToAllDone(() => starting);
    console.log(
      `${count} RULES runs across a ${values['outage-s']} s outage: last run DONE+verified ${seconds.toFixed(2)} s after the database was back; runs re-scored at a new attempt: ${attempts}`,
    );
    await service.stop();
  }
  {
    const count = Number(values['mid-run']);
    openai.reset();
    openai.otherwise(() => ({ ...SCORE, delayMs: 1500 }));
    const service = await replica(10);
    const ids = await startRuns(service, count, 'LLM', `bench-mid-${Date.now()}`);
    await openai.waitForRequests(15, 60_000);
    await db.server.stop();
    await sleep(4000);
    const { seconds, attempts } = await secondsToAllDone(async () => ids);
    console.log(
      `${count} LLM runs, database stopped 4 s mid-run: last run DONE+verified ${seconds.toFixed(2)} s after the database was back; model calls per run ${(openai.requests.length / count).toFixed(2)}; runs re-scored at a new attempt: ${attempts}`,
    );
    await service.stop();
  }
} finally {
  await openai.close();
  await db.destroy();
}
