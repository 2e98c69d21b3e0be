// Scoring end to end, through the gateway, on the whole system as `npm start` runs it: its scoring
// process B serves the API only, a second scoring process A executes the jobs (RULES scorer).
//  1. Live progress: `--watch` runs are started and subscribed to over graphql-ws through the gateway
//     while A is stopped (SIGSTOP), then A goes on (SIGCONT); each progress event's delay from its
//     timestamp (taken just before the transaction that stores it, so commit and read-back are
//     included) to its arrival. Twice: the first burst meets processes that have not run yet (cold
//     JIT, connections still opening), the second the same processes warm, as a running system is.
//     Beside it, each burst's event-loop delay (p99, max) in the executors (their /metrics, sampled
//     every 10 ms, so an idle loop shows about 10) and in the bench's own process (sampled every
//     1 ms): how long a process on these cores waits for its turn, at each process an event passes.
//  2. Latency without a backlog: `--single` runs one after another, from `startScoringRun` being
//     accepted (created_at) to DONE (finished_at).
//  3. Throughput: `--runs` runs submitted by `--concurrency` clients; runs/s completed and, per run,
//     accepted → DONE, which under a backlog is mostly time spent waiting in the queue.
// With `--executors N` (default 1) N executor processes share the jobs (each with `--workers`), all
// through the one database: the scale-out check (runs/s must not fall with a second replica).
// ASSAY_WRITE_GROUP_SLOTS in the bench's environment is handed to the executors (to compare values).
//   npm run bench -- scoring [--runs 1000] [--concurrency 16] [--watch 100] [--single 50] [--workers 4]
//     [--executors 1]
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connectionParamsFor, freePort, gql, runScript, type Started, systemPorts } from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { startEmbeddedDatabase } from '../scripts/embedded-database.ts';
import { describe, measure, percentile } from './stats.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '16' },
    watch: { type: 'string', default: '100' },
    single: { type: 'string', default: '50' },
    workers: { type: 'string', default: '4' },
    executors: { type: 'string', default: '1' },
  },
});
const RUNS = Number(values.runs);
const CONCURRENCY = Number(values.concurrency);
const WATCH = Number(values.watch);
const SINGLE = Number(values.single);
const WORKERS = values.workers;
const EXECUTORS = Number(values.executors);

// A small, ordinary change: two source files and a test.
const DIFF = [
  'diff --git a/src/orders/total.ts b/src/orders/total.ts',
  '--- a/src/orders/total.ts',
  '+++ b/src/orders/total.ts',
  '@@ -1,4 +1,6 @@',
  ' export function total(lines: Line[]): number {',
  '-  return lines.reduce((sum, l) => sum + l.price, 0);',
  '+  const gross = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);',
  '+  return Math.round(gross * 100) / 100;',
  ' }',
  'diff --git a/test/orders/total.test.ts b/test/orders/total.test.ts',
  '--- a/test/orders/total.test.ts',
  '+++ b/test/orders/total.test.ts',
  '@@ -1,2 +1,5 @@',
  ' import { total } from "../../src/orders/total";',
  '+test("quantities count", () => {',
  '+  expect(total([{ price: 2, quantity: 3 }])).toBe(6);',
  '+});',
  '',
].join('\n');

const START = 'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id } }';
const PROGRESS = 'subscription($id: ID!) { scoringRunProgress(runId: $id) { status at } }';

const dir = await mkdtemp(join(tmpdir(), 'assay-bench-scoring-'));
await chmod(dir, 0o755); // the embedded server runs as the postgres user when we are root
const say = (line: string) => console.log(line);
const embedded = process.env.DATABASE_URL
  ? undefined
  : await startEmbeddedDatabase({ dataDir: dir, port: await freePort(), say: () => undefined });
const databaseUrl = process.env.DATABASE_URL ?? embedded!.url;
const processes: Started[] = [];
const db = new pg.Client({ connectionString: databaseUrl });

try {
  const system = runScript('scripts/start.ts', {
    DATABASE_URL: databaseUrl,
    ASSAY_DATA_DIR: join(dir, 'b'),
    ...(await systemPorts()),
    ASSAY_SCORING_CONCURRENCY: '0',
  });
  processes.push(system);
  const url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
  await db.connect();
  await db.query('truncate scoring.score, scoring.scoring_run cascade');
  const start = async (key: string) => {
    const result = await gql(url, START, {
      input: { subject: { repository: 'acme/shop', diff: DIFF }, idempotencyKey: key },
    });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.startScoringRun.id as string;
  };
  say(
    `scoring end to end: RULES scorer, ${EXECUTORS} executor process(es) with ${WORKERS} workers each, through the gateway at ${url}\n`,
  );

  const bench = Date.now().toString(36);
  const executors: Started[] = [];
  const executorPorts: number[] = [];
  for (let n = 0; n < EXECUTORS; n++) {
    const port = await freePort();
    executorPorts.push(port);
    const executor = runScript('services/scoring/src/main.ts', {
      DATABASE_URL: databaseUrl,
      ASSAY_DATA_DIR: join(dir, `a${n}`),
      ASSAY_HOST: '127.0.0.1',
      ASSAY_SCORING_PORT: String(port),
      ASSAY_SCORING_CONCURRENCY: WORKERS,
      ...(process.env.ASSAY_WRITE_GROUP_SLOTS
        ? { ASSAY_WRITE_GROUP_SLOTS: process.env.ASSAY_WRITE_GROUP_SLOTS }
        : {}),
    });
    processes.push(executor);
    executors.push(executor);
    while (
      !(await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (executor.child.exitCode !== null) throw new Error(`executor ${n} exited:\n${executor.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  // 1. Live progress: a burst of runs, each subscribed to before it executes.
  const ws = createClient({
    url: url.replace(/^http/, 'ws'),
    connectionParams: connectionParamsFor(url),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  // The bench LISTENs too: how much of the delay is the executor's (stored → NOTIFY delivered).
  let notified: number[] = [];
  db.on('notification', (message) => {
    const event = (JSON.parse(message.payload ?? '{}') as { payload?: { at?: string } }).payload;
    if (event?.at) notified.push(Date.now() - Date.parse(event.at));
  });
  await db.query('listen assay_scoring_progress');
  for (const [name, label] of [
    ['cold', 'cold processes (the first burst)'],
    ['warm', 'warm processes (the same burst again)'],
  ]) {
    notified = [];
    const { delaysMs, loopDelay } = await progressBurst(name!);
    notified.sort((a, b) => a - b);
    say(
      `progress event, stored → arrived through the gateway, ${label} (${delaysMs.length} events of ${WATCH} runs): p50 ${percentile(delaysMs, 50)} ms, p99 ${percentile(delaysMs, 99)} ms, max ${delaysMs.at(-1)} ms`,
    );
    say(
      `  of which stored → NOTIFY delivered to a listener (${notified.length} events): p50 ${percentile(notified, 50)} ms, p99 ${percentile(notified, 99)} ms`,
    );
    say(`  event-loop delay during the burst (sampled every 10 / 1 ms), p99 / max: ${loopDelay}`);
  }
  await ws.dispose();
  await db.query('unlisten *');

  /**
   * `WATCH` runs started and subscribed to while the executors are stopped (SIGSTOP), then executed
   * at once (SIGCONT): each live event's delay from its stored timestamp to its arrival, sorted, and
   * the event-loop delays of the executors and of this process while they ran.
   */
  async function progressBurst(name: string): Promise<{ delaysMs: number[]; loopDelay: string }> {
    for (const executor of executors) executor.child.kill('SIGSTOP');
    const watched = await Promise.all(
      Array.from({ length: WATCH }, (_, i) => start(`${bench}-${name}-${i}`)),
    );
    const delaysMs: number[] = [];
    let snapshots = 0;
    const followed = watched.map(async (id) => {
      let first = true;
      for await (const result of ws.iterate<{ scoringRunProgress: { status: string; at: string } }>({
        query: PROGRESS,
        variables: { id },
      })) {
        const arrived = Date.now();
        if (result.errors) throw new Error(JSON.stringify(result.errors));
        if (first) {
          first = false; // the run's state when subscribed, not a live event
          snapshots++;
          continue;
        }
        delaysMs.push(arrived - Date.parse(result.data!.scoringRunProgress.at));
      }
    });
    while (snapshots < WATCH) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const executor of executors) executor.child.kill('SIGCONT');
    const own = monitorEventLoopDelay({ resolution: 1 });
    own.enable();
    // A scrape resets an executor's gauge: this one drops the stopped time, the next reads the burst.
    await Promise.all(executorPorts.map(loopDelayOf));
    await Promise.all(followed);
    own.disable();
    const executorsDelay = await Promise.all(executorPorts.map(loopDelayOf));
    const ms = (ns: number) => (ns / 1e6).toFixed(0);
    const loopDelay = [
      ...executorsDelay.map((d, n) => `executor ${n + 1} ${d}`),
      `bench (the subscriber) ${ms(own.percentile(99))} / ${ms(own.max)} ms`,
    ].join(', ');
    return { delaysMs: delaysMs.sort((a, b) => a - b), loopDelay };
  }

  /** An executor's event-loop delay p99 / max since its previous scrape, from its /metrics. */
  async function loopDelayOf(port: number): Promise<string> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const stat = (name: string) => {
      const line = text.match(
        new RegExp(`^assay_process_event_loop_delay_seconds\\{[^}]*stat="${name}"[^}]*\\} (\\S+)`, 'm'),
      );
      return line ? (Number(line[1]) * 1000).toFixed(0) : '?';
    };
    return `${stat('p99')} / ${stat('max')} ms`;
  }

  // 2. Latency without a backlog: one run at a time, each started once the previous one is DONE.
  const single: number[] = [];
  for (let i = 0; i < SINGLE; i++) {
    const id = await start(`${bench}-single-${i}`);
    for (;;) {
      const { rows } = await db.query<{ ms: number | null }>(
        `select extract(epoch from finished_at - created_at) * 1000 as ms from scoring.scoring_run
          where id = $1 and status = 'DONE'`,
        [id],
      );
      if (rows[0]) {
        single.push(Number(rows[0].ms));
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  single.sort((a, b) => a - b);
  say(
    `one run at a time (${SINGLE}), startScoringRun accepted → DONE: p50 ${percentile(single, 50).toFixed(0)} ms, p99 ${percentile(single, 99).toFixed(0)} ms`,
  );

  // 3. Throughput: every run accepted, then wait for all of them to end.
  const submitted = await measure('startScoringRun through the gateway', RUNS, CONCURRENCY, (i) =>
    start(`${bench}-run-${i}`),
  );
  say(describe(submitted));
  const live = `select count(*)::int as n from scoring.scoring_run where status in ('QUEUED','RUNNING','SCORING')`;
  while ((await db.query(live)).rows[0].n > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  const { rows } = await db.query<{ status: string; ms: number; executing: number }>(
    `select status, extract(epoch from finished_at - created_at) * 1000 as ms,
            extract(epoch from finished_at - started_at) * 1000 as executing
       from scoring.scoring_run where idempotency_key like $1`,
    [`${bench}-run-%`],
  );
  const span = await db.query<{ seconds: number }>(
    `select extract(epoch from max(finished_at) - min(created_at)) as seconds
       from scoring.scoring_run where idempotency_key like $1`,
    [`${bench}-run-%`],
  );
  const done = rows.filter((r) => r.status === 'DONE');
  const latencies = done.map((r) => Number(r.ms)).sort((a, b) => a - b);
  const seconds = Number(span.rows[0]!.seconds);
  say(
    `completed: ${done.length}/${RUNS} DONE in ${seconds.toFixed(2)} s = ${(done.length / seconds).toFixed(0)} runs/s`,
  );
  say(
    `under that backlog, startScoringRun accepted → DONE: p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
  );
  const unverified = await db.query(
    `select count(*)::int as n from scoring.scoring_run r join scoring.score s on s.run_id = r.id
      where r.idempotency_key like $1 and s.verified_at is null`,
    [`${bench}-run-%`],
  );
  const executing = done.map((r) => Number(r.executing)).sort((a, b) => a - b);
  say(
    `executing (RUNNING → DONE): p50 ${percentile(executing, 50).toFixed(0)} ms, p99 ${percentile(executing, 99).toFixed(0)} ms`,
  );
  say(`DONE runs without a verified score: ${unverified.rows[0].n}`);
} finally {
  await db.end().catch(() => undefined);
  for (const process of processes.reverse()) {
    if (process.child.exitCode === null) {
      process.child.kill('SIGCONT'); // a stopped executor (progress bursts) would not see SIGTERM
      process.child.kill('SIGTERM');
      await process.exited;
    }
  }
  await embedded?.server.stop();
  await rm(dir, { recursive: true, force: true });
}
