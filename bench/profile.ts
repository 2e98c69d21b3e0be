// Where a RULES scoring run's time goes, the scoring bench's system under a profiler: every process
// with `node --cpu-prof`, PostgreSQL with pg_stat_statements and a statement log. Same layout as
// `bench -- scoring`: `npm start`'s processes (scoring B serves the API only) plus an executor
// (scoring A, `--workers` workers), runs submitted through the gateway by `--concurrency` clients.
//  1. Profile window: `--runs` runs. Per process, CPU self time by package and function (samples
//     inside the window only: start-up is left out); per statement, calls/time/rows; per run,
//     transactions (xact_commit), WAL fsyncs (pg_stat_io), NOTIFYs.
//  2. Attribution window: `--logged` more runs with log_statement = all: each statement is put in
//     its transaction (vxid) and a code path, so the per-run budget splits by who issues it.
//   npm run bench -- profile [--runs 600] [--logged 100] [--concurrency 16] [--workers 4] [--top 15] [--keep DIR]
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { childPids, freePort, gql, runScript, type Started, systemPorts } from '@assay/kit/testing';
import pg from 'pg';
import { measure, record } from './stats.ts';
import { format, summarise } from './support/cpu-top.ts';
import { loggedStatements, logOffset, startObservedPostgres } from './support/pg-observed.ts';
import { cpuByProcess, cpuMs } from './support/proc-cpu.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '600' },
    logged: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '16' },
    workers: { type: 'string', default: '4' },
    top: { type: 'string', default: '15' },
    keep: { type: 'string' },
    'no-cpu-prof': { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const LOGGED = Number(values.logged);
const CONCURRENCY = Number(values.concurrency);
const TOP = Number(values.top);

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
  '',
].join('\n');
const START = 'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id } }';

/** The code path a statement belongs to, from its text (pg_stat_statements' or the log's). */
function pathOf(sql: string): string {
  const q = sql.replace(/\s+/g, ' ').trim().toLowerCase();
  if (/^(begin|start transaction|commit|rollback|savepoint|release|set |show |select 1$|discard)/.test(q))
    return 'transaction control';
  if (/^listen |^unlisten /.test(q)) return 'LISTEN';
  // pg-boss: one schema per service (scoring_jobs, review_jobs, …).
  if (/\b"?[a-z_]*jobs?"?\.|pgboss/.test(q)) {
    if (/skip locked/.test(q)) return 'pg-boss fetch';
    if (/^with ins as \( insert into|insert into [a-z_]+\.job/.test(q))
      return 'pg-boss send (its pg_notify included)';
    if (/for key share/.test(q)) return 'pg-boss send: foreign-key check (trigger)';
    if (/completed_on = |state = 'completed'|fail_jobs|failed_on/.test(q)) return 'pg-boss complete/fail';
    return 'pg-boss maintenance/monitor';
  }
  if (/pg_notify|^notify /.test(q)) return 'NOTIFY (progress events)';
  if (/outbox/.test(q)) return 'outbox';
  if (/failure/.test(q)) return 'failure catalog';
  if (/access|api_key/.test(q)) return 'gateway access';
  if (/^insert into "?scoring"?\."?scoring_run/.test(q)) return 'run create';
  if (/^update "?scoring"?\."?scoring_run/.test(q)) return 'run transition';
  if (/^with scores as \( update "?scoring"?\."?score\b/.test(q)) return 'score verified mark';
  if (/^(insert into|update) "?scoring"?\."?score\b/.test(q)) return 'score write';
  if (/^select .* from "?scoring"?\."?score\b/.test(q)) return 'score read-back';
  if (/^select .* from "?scoring"?\."?scoring_run/.test(q)) return 'run read (read-back / API / idempotency)';
  if (/^select set_config/.test(q)) return 'set_config (write timeouts)';
  if (/advisory/.test(q)) return 'advisory lock';
  if (/^select/.test(q)) return 'other select';
  return 'other';
}

/**
 * CPU of each PostgreSQL process by pid, named by its client's application (or its type: walwriter,
 * autovacuum, …); the postmaster with the backends that have exited.
 */
async function backendCpu(): Promise<Map<number, { who: string; ms: number }>> {
  const { rows } = await db.query<{ pid: number; who: string }>(
    `select pid, coalesce(nullif(application_name, ''), backend_type) as who from pg_stat_activity`,
  );
  const out = new Map(rows.map((r) => [r.pid, { who: r.who, ms: cpuMs(r.pid) }]));
  out.set(server.pid, { who: 'postmaster + exited backends', ms: cpuMs(server.pid, true) });
  return out;
}

const uptime = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const say = (line: string) => console.log(line);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const dir = await mkdtemp(join(tmpdir(), 'assay-bench-profile-'));
await chmod(dir, 0o755);
const profiles = values.keep ?? join(dir, 'cpu');
await mkdir(profiles, { recursive: true });
const server = await startObservedPostgres(dir, await freePort());
const processes: Started[] = [];
const db = new pg.Client({ connectionString: server.url, application_name: 'assay-bench' });
const names = new Map<number, string>(); // pid → process

try {
  // The profiler costs CPU itself: --no-cpu-prof measures the same window without it (budget, /proc CPU).
  const cpuProf = (sub: string) =>
    values['no-cpu-prof'] ? '' : `--cpu-prof --cpu-prof-dir=${join(profiles, sub)}`;
  const system = runScript('scripts/start.ts', {
    DATABASE_URL: server.localUrl,
    ASSAY_DATA_DIR: join(dir, 'b'),
    ...(await systemPorts()),
    ASSAY_SCORING_CONCURRENCY: '0',
    NODE_OPTIONS: cpuProf('system'),
  });
  processes.push(system);
  const url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
  names.set(system.child.pid!, 'supervisor (scripts/start.ts)');
  for (const pid of childPids(system.child.pid!)) {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    const entry = args.find((a) => /src\/main\.ts$/.test(a)) ?? args.join(' ');
    const service = /services\/([^/]+)\//.exec(entry)?.[1] ?? entry;
    names.set(pid, service === 'scoring' ? 'scoring B (API only)' : service);
  }
  await db.connect();
  const start = async (key: string) => {
    const result = await gql(url, START, {
      input: { subject: { repository: 'acme/shop', diff: DIFF }, idempotencyKey: key },
    });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data!.startScoringRun.id as string;
  };
  const executor = runScript('services/scoring/src/main.ts', {
    DATABASE_URL: server.localUrl,
    ASSAY_DATA_DIR: join(dir, 'a'),
    ASSAY_HOST: '127.0.0.1',
    ASSAY_SCORING_PORT: String(await freePort()),
    ASSAY_SCORING_CONCURRENCY: values.workers,
    NODE_OPTIONS: cpuProf('executor'),
  });
  processes.push(executor);
  names.set(executor.child.pid!, `scoring A (executor, ${values.workers} workers)`);
  const bench = Date.now().toString(36);
  const live = `select count(*)::int as bench_n from scoring.scoring_run where status in ('QUEUED','RUNNING','SCORING')`;
  const drain = async () => {
    while ((await db.query(live)).rows[0].bench_n > 0)
      await new Promise((resolve) => setTimeout(resolve, 20));
  };
  // Warm-up: JIT, pools, prepared plans, the executor polling.
  await measure('warm-up', 50, CONCURRENCY, (i) => start(`${bench}-warm-${i}`));
  await drain();

  const counters = async () => {
    const { rows } = await db.query(
      `select d.xact_commit::bigint as commits, d.xact_rollback::bigint as rollbacks,
              (select sum(fsyncs)::bigint from pg_stat_io where object = 'wal') as fsyncs,
              (select sum(writes)::bigint from pg_stat_io where object = 'wal') as wal_writes,
              w.wal_records::bigint as wal_records, w.wal_bytes::bigint as wal_bytes
         from pg_stat_database d, pg_stat_wal w where d.datname = current_database()`,
    );
    return Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)])) as Record<
      string,
      number
    >;
  };
  const done = async (prefix: string) =>
    (
      await db.query(
        `select count(*)::int as bench_n from scoring.scoring_run where idempotency_key like $1 and status = 'DONE'`,
        [`${prefix}%`],
      )
    ).rows[0].bench_n as number;

  // 1. Profile window.
  await db.query('select pg_stat_statements_reset()');
  await db.query('select pg_stat_reset()');
  await db.query(`select pg_stat_reset_shared('io')`);
  await db.query(`select pg_stat_reset_shared('wal')`);
  await new Promise((resolve) => setTimeout(resolve, 600)); // stats are flushed at most once a second
  const before = await counters();
  const loadBefore = uptime();
  const backendsBefore = await backendCpu();
  const cpuBefore = cpuByProcess(names, server.pid);
  const from = Number(process.hrtime.bigint() / 1000n);
  const submitted = await measure('submit', RUNS, CONCURRENCY, (i) => start(`${bench}-run-${i}`));
  await drain();
  const to = Number(process.hrtime.bigint() / 1000n);
  const cpuAfter = cpuByProcess(names, server.pid);
  const backendsAfter = await backendCpu();
  const seconds = (to - from) / 1e6;
  const completed = await done(`${bench}-run-`);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const after = await counters();
  const loadAfter = uptime();
  const statements = (
    await db.query<{ query: string; calls: string; total: number; rows: string }>(
      `select query, calls::bigint as calls, total_exec_time as total, rows::bigint as rows
         from pg_stat_statements s join pg_database d on d.oid = s.dbid
        where d.datname = current_database() and query not like '%pg_stat%' and query not like '%bench_n%'
        order by total_exec_time desc`,
    )
  ).rows;

  // 2. Attribution window: the statement log.
  await db.query(`alter system set log_statement = 'all'`);
  await db.query('select pg_reload_conf()');
  await new Promise((resolve) => setTimeout(resolve, 300));
  const offset = await logOffset(server.logFile);
  const loggedFrom = performance.now();
  await measure('submit (logged)', LOGGED, CONCURRENCY, (i) => start(`${bench}-log-${i}`));
  await drain();
  const loggedSeconds = (performance.now() - loggedFrom) / 1000;
  await db.query(`alter system set log_statement = 'none'`);
  await db.query('select pg_reload_conf()');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const logged = (await loggedStatements(server.logFile, offset)).filter((s) => s.app !== 'assay-bench');

  say(
    `profile of the scoring bench's system at ${commit}, ${RUNS} RULES runs (+${LOGGED} logged), ${CONCURRENCY} clients, executor ${values.workers} workers`,
  );
  say(
    `window: ${completed}/${RUNS} DONE in ${seconds.toFixed(2)} s = ${(completed / seconds).toFixed(1)} runs/s (${values['no-cpu-prof'] ? 'no profiler' : 'under the CPU profiler'}); submit ${(RUNS / submitted.seconds).toFixed(0)}/s; load average ${loadBefore} → ${loadAfter}\n`,
  );
  record(
    `profile: runs/s${values['no-cpu-prof'] ? '' : ' under the CPU profiler'}`,
    completed / seconds,
    'runs/s',
    'higher',
  );

  say(
    'CPU per completed run, profile window (/proc: user + system time, exact; the profiles below give the shares):',
  );
  let totalCpu = 0;
  for (const [name, ms] of cpuAfter) {
    const used = ms - (cpuBefore.get(name) ?? 0);
    totalCpu += used;
    say(
      `  ${name.padEnd(36)} ${((1000 * used) / completed).toFixed(0).padStart(7)} µs/run  (${((100 * used) / (seconds * 1000)).toFixed(0)}% of one core)`,
    );
    record(`profile: CPU per run, ${name}`, (1000 * used) / completed, 'µs/run', 'lower');
  }
  say(
    `  ${'all of them'.padEnd(36)} ${((1000 * totalCpu) / completed).toFixed(0).padStart(7)} µs/run  → at most ${((2 * 1000 * completed) / totalCpu).toFixed(0)} runs/s on 2 cores at this cost\n`,
  );

  say(
    "PostgreSQL's CPU per completed run by backend (pg_stat_activity: application, or the backend's type):",
  );
  const byBackend = new Map<string, number>();
  for (const [pid, { who, ms }] of backendsAfter) {
    byBackend.set(who, (byBackend.get(who) ?? 0) + ms - (backendsBefore.get(pid)?.ms ?? 0));
  }
  for (const [who, ms] of [...byBackend].sort((a, b) => b[1] - a[1]).filter(([, ms]) => ms > 0)) {
    say(`  ${who.padEnd(36)} ${((1000 * ms) / completed).toFixed(0).padStart(7)} µs/run`);
  }
  say('');

  // Per-run counters.
  const delta = (k: string) => (after[k]! - before[k]!) / completed;
  const totals = new Map<string, { calls: number; ms: number; rows: number }>();
  for (const s of statements) {
    const path = pathOf(s.query);
    const t = totals.get(path) ?? { calls: 0, ms: 0, rows: 0 };
    t.calls += Number(s.calls);
    t.ms += s.total;
    t.rows += Number(s.rows);
    totals.set(path, t);
  }
  const allCalls = [...totals.values()].reduce((a, t) => a + t.calls, 0);
  const allMs = [...totals.values()].reduce((a, t) => a + t.ms, 0);
  // NOTIFYs wherever they are issued: the progress events' and the one inside pg-boss's send.
  const notifies = statements
    .filter((s) => /pg_notify|^\s*notify /i.test(s.query))
    .reduce((a, s) => a + Number(s.calls), 0);
  say('per completed run, profile window (pg_stat_statements, pg_stat_database, pg_stat_io):');
  say(
    `  statements ${(allCalls / completed).toFixed(1)}  (${(allMs / completed).toFixed(2)} ms executing in PostgreSQL)`,
  );
  say(`  commits    ${delta('commits').toFixed(1)}  rollbacks ${delta('rollbacks').toFixed(2)}`);
  say(
    `  WAL fsyncs ${delta('fsyncs').toFixed(1)}  WAL writes ${delta('wal_writes').toFixed(1)}  WAL records ${delta('wal_records').toFixed(0)}  WAL bytes ${delta('wal_bytes').toFixed(0)}`,
  );
  say(`  NOTIFYs    ${(notifies / completed).toFixed(1)}`);
  record('profile: statements per run', allCalls / completed, 'stmt/run', 'lower');
  record('profile: commits per run', delta('commits'), 'tx/run', 'lower');
  record('profile: WAL fsyncs per run', delta('fsyncs'), 'fsync/run', 'lower');
  record('profile: NOTIFYs per run', notifies / completed, 'notify/run', 'lower');
  say('\nstatements per run by code path (pg_stat_statements):');
  say(`  ${'path'.padEnd(44)} ${'calls/run'.padStart(9)} ${'ms/run'.padStart(8)} ${'rows/run'.padStart(9)}`);
  for (const [path, t] of [...totals.entries()].sort((a, b) => b[1].calls - a[1].calls))
    say(
      `  ${path.padEnd(44)} ${(t.calls / completed).toFixed(2).padStart(9)} ${(t.ms / completed).toFixed(3).padStart(8)} ${(t.rows / completed).toFixed(2).padStart(9)}`,
    );
  for (const path of ['other', 'other select', 'pg-boss maintenance/monitor'])
    for (const s of statements.filter((x) => pathOf(x.query) === path).slice(0, 4))
      say(
        `  (${path}) ${(Number(s.calls) / completed).toFixed(2)}/run: ${s.query.replace(/\s+/g, ' ').slice(0, 140)}`,
      );
  say(`\ntop ${TOP} statements by total time (calls/run, mean ms, rows/call):`);
  for (const s of statements.slice(0, TOP))
    say(
      `  ${(Number(s.calls) / completed).toFixed(2).padStart(6)} ${(s.total / Number(s.calls)).toFixed(3).padStart(7)} ms ${(Number(s.rows) / Math.max(1, Number(s.calls))).toFixed(1).padStart(6)}  ${s.query.replace(/\s+/g, ' ').slice(0, 150)}`,
    );

  // Transactions by what they do (log window).
  const loggedDone = await done(`${bench}-log-`);
  const byTx = new Map<string, { app: string; paths: string[] }>();
  for (const s of logged) {
    const key = `${s.pid}:${s.vxid}`;
    const tx = byTx.get(key) ?? { app: s.app, paths: [] };
    tx.paths.push(pathOf(s.sql));
    byTx.set(key, tx);
  }
  const kinds = new Map<string, { tx: number; statements: number }>();
  for (const tx of byTx.values()) {
    const work = [...new Set(tx.paths.filter((p) => p !== 'transaction control'))];
    const kind = `${tx.app || '?'}: ${work.join(' + ') || 'transaction control only'}`;
    const k = kinds.get(kind) ?? { tx: 0, statements: 0 };
    k.tx++;
    k.statements += tx.paths.length;
    kinds.set(kind, k);
  }
  say(
    `\ntransactions per run by client and what they do (statement log, ${loggedDone} runs in ${loggedSeconds.toFixed(1)} s; ${byTx.size} transactions, ${logged.length} statements = ${(logged.length / loggedDone).toFixed(1)}/run):`,
  );
  say(`  ${'tx/run'.padStart(6)} ${'stmt/run'.padStart(8)}  application: code paths in the transaction`);
  for (const [kind, k] of [...kinds.entries()].sort((a, b) => b[1].tx - a[1].tx))
    say(
      `  ${(k.tx / loggedDone).toFixed(2).padStart(6)} ${(k.statements / loggedDone).toFixed(2).padStart(8)}  ${kind}`,
    );

  // Stop everything so the profiles are written, then summarise them.
  for (const started of processes.reverse()) {
    if (started.child.exitCode === null) {
      started.child.kill('SIGTERM');
      await started.exited;
    }
  }
  processes.length = 0;
  say(`\nCPU, profile window only (${seconds.toFixed(1)} s; sampled every 1 ms; profiles in ${profiles}):`);
  for (const sub of ['system', 'executor']) {
    const files = (await readdir(join(profiles, sub)).catch(() => [])).filter((f) =>
      f.endsWith('.cpuprofile'),
    );
    for (const file of files) {
      const pid = Number(file.split('.')[3]);
      const summary = await summarise(join(profiles, sub, file), { from, to }, TOP);
      const name = names.get(pid) ?? `pid ${pid}`;
      say(`\n${format(name, summary, completed, (cpuAfter.get(name) ?? 0) - (cpuBefore.get(name) ?? 0))}`);
    }
  }
} finally {
  await db.end().catch(() => undefined);
  for (const started of processes.reverse()) {
    if (started.child.exitCode === null) {
      started.child.kill('SIGTERM');
      await started.exited;
    }
  }
  await server.stop();
  if (!values.keep) await rm(dir, { recursive: true, force: true });
  else console.log(`kept: CPU profiles in ${profiles}, PostgreSQL's JSON log in ${server.logFile}`);
}
