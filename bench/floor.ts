// The floor under a scoring run on this machine: what each part every run must go through costs in
// CPU (the client process and PostgreSQL together) when it does nothing else: an HTTP hop, a
// statement through the pg driver and through MikroORM, a transition's transaction, a pg-boss job.
// Multiplied by the run's budget (services/scoring/test/statement-budget.int.test.ts), that is the
// least CPU a run can cost with these parts, before any of Assay's own work; the profile
// (`bench -- profile`) gives what a run costs in all.
// Then the memory floor: the resident memory of a process that only loads a service's modules
// (bench/support/modules-only.ts), idle, with V8's default young generation and with 4 MiB semi-spaces.
//   npm run bench -- floor [--ops 3000] [--concurrency 4]
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, runScript } from '@assay/kit/testing';
import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { pino } from 'pino';
import { createOrm } from '../services/kit/src/database/orm.ts';
import { numbered } from '../services/kit/src/database/parameterised.ts';
import { enqueueRun, startRunQueue } from '../services/kit/src/runs/run-queue.ts';
import { testRunKind } from '../services/kit/test/support/run-kind.ts';
import { measure, record } from './stats.ts';
import { startObservedPostgres } from './support/pg-observed.ts';
import { postgresCpuMs } from './support/proc-cpu.ts';

const { values } = parseArgs({
  options: {
    ops: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '4' },
  },
});
const OPS = Number(values.ops);
const CONCURRENCY = Number(values.concurrency);

/** What one RULES run goes through (the statement-budget test; pg-boss's and the NOTIFYs from the profile). */
const BUDGET = {
  httpHops: 2, // client → gateway → scoring subgraph (startScoringRun)
  transactions: 4, // begin, bounds, one guarded write, commit: run insert, RUNNING, SCORING, DONE
  statements: 7, // the DONE transaction's score insert, 4 run reads, the score read, the verified mark
  jobs: 1, // pg-boss send + fetch + complete
  notifies: 2.4, // NOTIFY statements on the pub/sub connection (batched: 3 events)
};

const dir = await mkdtemp(join(tmpdir(), 'assay-bench-floor-'));
await chmod(dir, 0o755);
const server = await startObservedPostgres(dir, await freePort());
const say = (line: string) => console.log(line);

/** CPU per operation, µs: this process and PostgreSQL, over `OPS` operations `CONCURRENCY` at a time. */
async function cost(label: string, op: (i: number) => Promise<unknown>): Promise<number> {
  await measure('warm-up', Math.min(300, OPS), CONCURRENCY, op);
  const node = process.cpuUsage();
  const pgBefore = postgresCpuMs(server.pid);
  const run = await measure(label, OPS, CONCURRENCY, op);
  const { user, system } = process.cpuUsage(node);
  const nodeUs = (user + system) / OPS;
  const pgUs = ((postgresCpuMs(server.pid) - pgBefore) * 1000) / OPS;
  say(
    `${label.padEnd(58)} ${(nodeUs + pgUs).toFixed(0).padStart(5)} µs  (Node ${nodeUs.toFixed(0)}, PostgreSQL ${pgUs.toFixed(0)}; ${(OPS / run.seconds).toFixed(0)}/s)`,
  );
  record(`floor: ${label}`, nodeUs + pgUs, 'µs', 'lower');
  return nodeUs + pgUs;
}

const pool = new pg.Pool({ connectionString: server.url, max: CONCURRENCY });
// The same server through its Unix socket: what the transport costs (the services use TCP).
const socketPool = new pg.Pool({ connectionString: server.url, host: server.socketDir, max: CONCURRENCY });
// Connections the server's stop ends before the pools notice must not crash the bench.
for (const p of [pool, socketPool]) p.on('error', () => undefined);
const orm = await createOrm({ url: server.url, schema: 'floor', entities: [], migrations: [] });
/** A run queue as the services start it (pg-boss with their options, its statements prepared). */
const FLOOR_RUNS = testRunKind('floor');
let boss: PgBoss | undefined;
const http = createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}'));
});
try {
  await pool.query(`create schema floor;
    create table floor.run (id int primary key, status text, version int not null default 0,
      heartbeat_at timestamptz, transition_key text)`);
  await pool.query('insert into floor.run (id, status) select i, $1 from generate_series(0, $2) i', [
    'QUEUED',
    OPS + 300,
  ]);
  await orm.connect();
  boss = await startRunQueue(FLOOR_RUNS, {
    url: server.url,
    log: pino({ level: 'silent' }),
    expireInSeconds: 60,
  });
  const jobs = boss;
  await new Promise<void>((listening) => http.listen(0, '127.0.0.1', listening));
  const port = (http.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  say(`the floor of a RULES run's parts, ${OPS} operations ${CONCURRENCY} at a time, CPU per operation:`);
  const httpUs = await cost(
    'HTTP request and response (node:http, keep-alive)',
    () =>
      new Promise<void>((done, fail) => {
        const body = '{"query":"{ __typename }"}';
        const req = request(
          { port, method: 'POST', path: '/graphql', agent, headers: { 'content-type': 'application/json' } },
          (res) => res.resume().on('end', done),
        );
        req.on('error', fail);
        req.end(body);
      }),
  );
  const pgUs = await cost('statement through the pg driver', (i) => pool.query('select $1::int', [i]));
  const ormUs = await cost('statement through MikroORM (em.execute)', (i) =>
    orm.em.fork().execute('select ?::int as i', [i]),
  );
  // A transition's transaction as the writer sends it: its bounds, then one guarded update.
  const BOUNDS = "select set_config('statement_timeout', ?, true), set_config('lock_timeout', ?, true)";
  const TRANSITION = `update floor.run set status = ?, version = version + 1, transition_key = ?,
    heartbeat_at = greatest(heartbeat_at, now()) where id = ? and status in (?, ?) returning id`;
  const boundsValues = ['3000ms', '2000ms'];
  const transitionValues = (i: number, key: string) => ['RUNNING', `${key}${i}`, i, 'QUEUED', 'RUNNING'];
  const txUs = await cost("a transition's transaction (begin, bounds, update, commit)", (i) =>
    orm.em.fork().transactional(async (em) => {
      await em.execute(BOUNDS, boundsValues);
      await em.execute(TRANSITION, transitionValues(i, 'k'));
    }),
  );
  const viaPg = (on: pg.Pool) => async (i: number) => {
    const client = await on.connect();
    try {
      await client.query('begin');
      await client.query(numbered(BOUNDS), boundsValues);
      await client.query(numbered(TRANSITION), transitionValues(i, 'p'));
      await client.query('commit');
    } finally {
      client.release();
    }
  };
  const tcpUs = await cost('the same through the pg driver, TCP (127.0.0.1)', viaPg(pool));
  const socketUs = await cost('the same through the pg driver, Unix socket', viaPg(socketPool));
  const jobUs = await cost('a pg-boss job: sent, fetched, completed', async (i) => {
    await enqueueRun(FLOOR_RUNS, jobs, { runId: String(i), attempt: 0 });
    const [job] = await jobs.fetch(FLOOR_RUNS.queue.name);
    if (job) await jobs.complete(FLOOR_RUNS.queue.name, job.id);
  });

  const floor =
    BUDGET.httpHops * httpUs +
    BUDGET.transactions * txUs +
    BUDGET.statements * ormUs +
    BUDGET.jobs * jobUs +
    BUDGET.notifies * pgUs;
  say(
    `\nfloor of one RULES run: ${BUDGET.httpHops} HTTP hops + ${BUDGET.transactions} transactions + ${BUDGET.statements} statements + ${BUDGET.jobs} job + ${BUDGET.notifies} NOTIFYs = ${(floor / 1000).toFixed(2)} ms of CPU`,
  );
  say(
    `→ at most ${(2_000_000 / floor).toFixed(0)} runs/s on 2 cores with nothing but these parts (no GraphQL, no spans, no verification logic, no scoring)`,
  );
  // A group commit shares begin, bounds and commit among the writes waiting together: the least a
  // run could pay is its writes alone.
  const shared = floor - BUDGET.transactions * (txUs - ormUs);
  say(
    `even if a group commit shared every transaction's begin, bounds and commit away: ${(shared / 1000).toFixed(2)} ms → at most ${(2_000_000 / shared).toFixed(0)} runs/s`,
  );
  say(
    `a Unix socket instead of TCP: ${((1 - socketUs / tcpUs) * 100).toFixed(0)} % less CPU per transaction (the services reach PostgreSQL over TCP)`,
  );
  record('floor: one RULES run', floor / 1000, 'ms', 'lower');
  record('floor: runs/s on 2 cores', 2_000_000 / floor, 'runs/s', 'higher');
  agent.destroy();
} finally {
  http.close();
  await boss?.stop({ graceful: false }).catch(() => undefined);
  await orm.close(true).catch(() => undefined);
  await pool.end().catch(() => undefined);
  await socketPool.end().catch(() => undefined);
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

// The memory floor: every process at once (they only load code, then sit idle for 15 s).
const SERVICES = ['none', 'gateway', 'scoring', 'review', 'failure-catalog'];
const OPTIONS = ['', '--max-semi-space-size=4'];
const loaded = await Promise.all(
  OPTIONS.flatMap((nodeOptions) =>
    SERVICES.map(async (service) => {
      const started = runScript(
        'bench/support/modules-only.ts',
        nodeOptions ? { NODE_OPTIONS: nodeOptions } : {},
        ['--service', service],
      );
      const line = (await started.waitFor(/modules-only (\{.*\})/, 120_000))[1]!;
      return { service, nodeOptions, memory: JSON.parse(line) as Record<string, number> };
    }),
  ),
);
say("\nidle memory of a process that only loads a service's modules (telemetry started, nothing else), MB:");
say(`${'modules of'.padEnd(18)} ${OPTIONS.map((o) => (o || 'V8 defaults').padEnd(34)).join('')}`);
for (const service of SERVICES) {
  const cells = OPTIONS.map((nodeOptions) => {
    const { memory } = loaded.find((l) => l.service === service && l.nodeOptions === nodeOptions)!;
    return `rss ${memory.rss} (heap ${memory.heapTotal}, ${memory.heapUsed} used)`.padEnd(34);
  });
  say(`${(service === 'none' ? 'none (the TS hook)' : service).padEnd(18)} ${cells.join('')}`);
  const rss = loaded.find((l) => l.service === service && l.nodeOptions === '')!.memory.rss!;
  record(`floor: idle rss, modules of ${service}`, rss, 'MB', 'lower');
}
