// The failure catalog, on this machine, embedded PostgreSQL, every process in this one:
//  1. Throughput: `--burst` synthetic failures written to the outboxes at once → all stored in the
//     catalog (producer commit → matched, grouped, stored): failures per second end to end.
//  2. Intake lag at a steady `--rate` for `--seconds`: producer commit → stored, p50/p99 (the
//     intake is first-in first-out per outbox, so the k-th failure sent is stored when the k-th is;
//     sampled every 10 ms, plus the intake interval `--interval-ms`).
//  3. Matching cost per failure against a 1,000-entry catalog (exact, prefix, pattern, keyword).
//  4. What a producer pays to record a failure: its own one-row transaction, alone and with the
//     outbox insert in it, p50/p99 of `--transactions` each, in turns.
//  5. Scoring with the catalog stopped vs running: `--runs` LLM runs with no model configured
//     (each ends in ERROR with a failure), accepted → ERROR p50/p99, as a ratio.
//   npm run bench -- failures [--burst 20000] [--rate 500] [--seconds 10] [--transactions 2000] [--runs 200]
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { failureReport, writeFailure } from '@assay/kit';
import { gql, startReplica } from '@assay/kit/testing';
import pgClient from 'pg';
import { failureCatalogService } from '../services/failure-catalog/src/app.ts';
import { CatalogEntry, Severity } from '../services/failure-catalog/src/catalog/catalog-entry.entity.ts';
import { compileMatcher } from '../services/failure-catalog/src/catalog/matcher.ts';
import {
  sendToOutboxes,
  syntheticFailures,
} from '../services/failure-catalog/src/synthetic/synthetic-failures.ts';
import { FaultDb } from '../services/kit/test/support/fault-db.ts';
import { reviewService } from '../services/review/src/app.ts';
import { scoringService } from '../services/scoring/src/app.ts';
import { percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    burst: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    'interval-ms': { type: 'string', default: '100' },
    transactions: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '200' },
  },
});
const say = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;

const db = await FaultDb.start();
const catalogEnv = { ASSAY_FAILURE_INTAKE_INTERVAL_MS: values['interval-ms'], LOG_LEVEL: 'warn' };
// The producers' schemas and outboxes (their job workers off: only the catalog works here).
const producers = [
  await startReplica(scoringService, db.url, { ASSAY_SCORING_CONCURRENCY: '0', LOG_LEVEL: 'warn' }),
  await startReplica(reviewService, db.url, { ASSAY_REVIEW_CONCURRENCY: '0', LOG_LEVEL: 'warn' }),
];
let catalog = await startReplica(failureCatalogService, db.url, catalogEnv);
const connect = async () => {
  const client = new pgClient.Client({ connectionString: db.url });
  await client.connect();
  return client;
};
const pg = await connect();
const poll = await connect();
const stored = async () =>
  Number(
    (
      await poll.query<{ n: string }>(
        `select count(*) as n from failure_catalog.failure_match where stage = 'synthetic'`,
      )
    ).rows[0]!.n,
  );

// 1. Throughput.
{
  const burst = Number(values.burst);
  const before = await stored();
  const failures = [...syntheticFailures(burst, 1)];
  for (let i = 0; i < failures.length; i += 1000) await sendToOutboxes(pg, failures.slice(i, i + 1000));
  const started = performance.now();
  while ((await stored()) < before + burst) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  say(
    `1. ${burst} failures waiting → all stored in ${seconds.toFixed(1)} s: ${Math.round(burst / seconds)} failures/s`,
  );
}

// 2. Intake lag at a steady rate.
{
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const total = rate * seconds;
  const base = await stored();
  const sentAt: number[] = [];
  const storedAt: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const n = (await stored()) - base;
      const now = performance.now();
      while (storedAt.length < n) storedAt.push(now);
      await sleep(10);
    }
  })();
  const generator = syntheticFailures(total, 2);
  const started = performance.now();
  const tick = 50;
  for (let sent = 0; sent < total; ) {
    const due = Math.min(
      total,
      Math.floor(((performance.now() - started) / 1000) * rate) + Math.ceil(rate / (1000 / tick)),
    );
    const batch = [];
    while (sent < due) {
      batch.push(generator.next().value!);
      sent++;
    }
    if (batch.length > 0) {
      await sendToOutboxes(pg, batch);
      const now = performance.now();
      for (let i = 0; i < batch.length; i++) sentAt.push(now);
    }
    await sleep(tick);
  }
  while (storedAt.length < total) await sleep(20);
  polling = false;
  await poller;
  const lags = sentAt.map((t, i) => storedAt[i]! - t).sort((a, b) => a - b);
  say(
    `2. ${rate} failures/s for ${seconds} s (intake every ${values['interval-ms']} ms): lag p50 ${fmt(percentile(lags, 50))}, p99 ${fmt(percentile(lags, 99))}`,
  );
}

// 3. Matching cost against 1,000 entries.
{
  const now = new Date();
  const entries = Array.from({ length: 1000 }, (_, i) => {
    const e = new CatalogEntry();
    Object.assign(e, {
      id: randomUUID(),
      errorCode: `BENCH_CODE_${i}`,
      title: `entry ${i}`,
      category: `category-${i % 20}`,
      severity: Severity.MEDIUM,
      retryable: false,
      codePrefix: i % 10 === 0 ? `FAM${i}_` : null,
      messagePattern: i % 10 === 1 ? `disk ${i} (full|gone) at \\d+` : null,
      keywords: i % 10 === 2 ? [`alpha${i}`, `beta${i}`, `gamma${i}`] : [],
      createdAt: now,
      updatedAt: now,
    });
    return e;
  });
  const match = compileMatcher(entries);
  const cases: [string, string][] = [
    ['BENCH_CODE_500', 'exact'],
    ['FAM300_SOMETHING', 'prefix'],
    ['UNKNOWN', 'disk 501 full at 42'],
    ['UNKNOWN', 'alpha502 beta502 gamma502 went wrong'],
    ['UNKNOWN', 'nothing anyone knows about, with some words in it, 12345'],
  ];
  const n = 100_000;
  for (let i = 0; i < 1000; i++) match(...cases[i % cases.length]!);
  const started = performance.now();
  for (let i = 0; i < n; i++) match(...cases[i % cases.length]!);
  const us = ((performance.now() - started) * 1000) / n;
  say(
    `3. matching against 1,000 entries (exact, prefix, pattern, keyword, none in turn): ${us.toFixed(1)} µs per failure`,
  );
}

// 4. What a producer pays.
{
  const em = producers[0]!.orm.em.fork();
  await em.execute('create table if not exists scoring.bench_state (id int primary key, n int not null)');
  await em.execute('insert into scoring.bench_state values (1, 0) on conflict do nothing');
  const count = Number(values.transactions);
  const alone: number[] = [];
  const withFailure: number[] = [];
  for (let i = 0; i < count; i++) {
    for (const report of [false, true]) {
      const started = performance.now();
      await producers[0]!.orm.em.fork().transactional(async (tx) => {
        await tx.execute('update scoring.bench_state set n = n + 1 where id = 1');
        if (report)
          await writeFailure(
            tx,
            '"scoring"."failure_outbox"',
            failureReport({
              service: 'scoring',
              runId: randomUUID(),
              stage: 'synthetic',
              occurrence: String(i),
              errorCode: 'LLM_REQUEST_FAILED',
              errorMessage: `bench failure ${i}`,
              retryable: true,
            }),
            { tenantId: 'default' },
          );
      });
      (report ? withFailure : alone).push(performance.now() - started);
    }
  }
  alone.sort((a, b) => a - b);
  withFailure.sort((a, b) => a - b);
  say(
    `4. a producer's one-row transaction: alone p50 ${fmt(percentile(alone, 50))} p99 ${fmt(percentile(alone, 99))}; with the failure in its outbox p50 ${fmt(percentile(withFailure, 50))} p99 ${fmt(percentile(withFailure, 99))} (+${(percentile(withFailure, 50) - percentile(alone, 50)).toFixed(2)} ms at p50)`,
  );
}
await pg.end();
await poll.end();
for (const p of producers) await p.stop();

// 5. Scoring with the catalog stopped vs running.
{
  const runs = Number(values.runs);
  const scoring = await startReplica(scoringService, db.url, { LOG_LEVEL: 'error' }); // no OPENAI_API_KEY
  const measureRuns = async (tag: string) => {
    const ids: string[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await gql(
        scoring.url,
        'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id } }',
        {
          input: {
            subject: {
              repository: 'acme/api',
              diff: 'diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1,2 @@\n a\n+b\n',
            },
            scorer: 'LLM',
            idempotencyKey: `${tag}-${i}-${Date.now()}`,
          },
        },
      );
      ids.push(r.data!.startScoringRun.id);
    }
    for (;;) {
      const rows = await db.query<{ ms: number }>(
        `select extract(epoch from finished_at - created_at) * 1000 as ms from scoring.scoring_run
          where id = any($1) and status = 'ERROR'`,
        [ids],
      );
      if (rows.length === runs) return rows.map((r) => Number(r.ms)).sort((a, b) => a - b);
      await sleep(50);
    }
  };
  const up = await measureRuns('up');
  await catalog.stop();
  const down = await measureRuns('down');
  const waiting = Number(
    (await db.query<{ n: string }>('select count(*) as n from scoring.failure_outbox'))[0]!.n,
  );
  catalog = await startReplica(failureCatalogService, db.url, catalogEnv);
  say(
    `5. ${runs} failing LLM runs, accepted → ERROR: catalog up p50 ${fmt(percentile(up, 50))} p99 ${fmt(percentile(up, 99))}; stopped p50 ${fmt(percentile(down, 50))} p99 ${fmt(percentile(down, 99))} (${(percentile(down, 50) / percentile(up, 50)).toFixed(2)}× at p50; ${waiting} failures waited in the outbox)`,
  );
  await scoring.stop();
}
await catalog.stop();
await db.destroy();
