// Review runs against a fake model that answers every call in `--model-ms` (300 ms), on one review
// process (`--concurrency` runs at once, five personas each in parallel), embedded PostgreSQL:
//  1. One review at a time (`--single`): accepted → COMPLETED wall time p50/p99, against the floor
//     of one expansion + one persona call (personas in parallel, not five in series).
//  2. `--runs` reviews submitted at once: runs completed per minute, model calls per run.
//  3. The same with `--fault-rate` (20%) of calls answered 500: extra calls per run and the share
//     of runs still COMPLETED.
//   npm run bench -- review [--single 10] [--runs 40] [--concurrency 4] [--model-ms 300] [--fault-rate 0.2]
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { FakeOpenAI, gql, type RecordedRequest, startReplica } from '@assay/kit/testing';
import { FaultDb } from '../services/kit/test/support/fault-db.ts';
import { reviewService } from '../services/review/src/app.ts';
import { panel } from '../services/review/test/support.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    single: { type: 'string', default: '10' },
    runs: { type: 'string', default: '40' },
    concurrency: { type: 'string', default: '4' },
    'model-ms': { type: 'string', default: '300' },
    'fault-rate': { type: 'string', default: '0.2' },
  },
});
const MODEL_MS = Number(values['model-ms']);
const START = 'mutation($input: StartReviewInput!) { startReview(input: $input) { id } }';

const db = await FaultDb.start();
const openai = await FakeOpenAI.start();
const service = await startReplica(reviewService, db.url, {
  OPENAI_API_KEY: 'sk-test',
  OPENAI_BASE_URL: openai.url,
  ASSAY_REVIEW_CONCURRENCY: values.concurrency,
  ASSAY_REVIEW_PERSONA_RETRIES: '2',
  LOG_LEVEL: 'warn',
});

let key = 0;
async function start(): Promise<string> {
  const result = await gql(service.url, START, {
    input: { idea: 'Cache scores per commit.', idempotencyKey: `b-${Date.now()}-${key++}` },
  });
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data!.startReview.id;
}

interface Finished {
  status: string;
  ms: number;
}
async function finished(ids: string[]): Promise<Finished[]> {
  for (;;) {
    const rows = await db.query<{ status: string; ms: number }>(
      `select status, extract(epoch from finished_at - created_at) * 1000 as ms from review.review_run
        where id = any($1) and status not in ('QUEUED', 'RUNNING')`,
      [ids],
    );
    if (rows.length === ids.length) return rows.map((r) => ({ status: r.status, ms: Number(r.ms) }));
    await sleep(50);
  }
}

function behave(faultRate: number) {
  const ok = panel({}, MODEL_MS);
  let n = 0;
  // Deterministic faults: every 1/faultRate-th call fails, the same on every run of the bench.
  return (request: RecordedRequest) =>
    faultRate > 0 && ++n % Math.round(1 / faultRate) === 0
      ? { kind: 'error' as const, status: 500, delayMs: MODEL_MS }
      : ok(request);
}

try {
  await service.ready;
  openai.otherwise(behave(0));
  const single: number[] = [];
  for (let i = 0; i < Number(values.single); i++) single.push((await finished([await start()]))[0]!.ms);
  single.sort((a, b) => a - b);
  console.log(
    `one review at a time (${single.length}): p50 ${percentile(single, 50).toFixed(0)} ms, p99 ${percentile(single, 99).toFixed(0)} ms; floor (one expansion + one persona call) ${2 * MODEL_MS} ms, five personas in series would be ${6 * MODEL_MS} ms`,
  );

  for (const faultRate of [0, Number(values['fault-rate'])]) {
    openai.reset();
    openai.otherwise(behave(faultRate));
    const count = Number(values.runs);
    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: count }, () => start()));
    const done = await finished(ids);
    const minutes = (performance.now() - t0) / 60_000;
    const completed = done.filter((r) => r.status === 'COMPLETED').length;
    console.log(
      `${count} reviews at once, concurrency ${values.concurrency}, ${Math.round(faultRate * 100)}% of calls answered 500: ${(completed / minutes).toFixed(1)} completed/min; ${(openai.requests.length / count).toFixed(2)} model calls per run (${(openai.requests.length / count - 6).toFixed(2)} over 6); ${((100 * completed) / count).toFixed(0)}% COMPLETED`,
    );
  }
} finally {
  await service.stop();
  await openai.close();
  await db.destroy();
}
