// npm start: the whole system on one machine. Without DATABASE_URL it runs an embedded PostgreSQL
// (data under ASSAY_DATA_DIR, reused across restarts), then the three subgraphs, then the gateway,
// and prints the gateway URL once every process is ready. Ctrl-C / SIGTERM stops them in reverse
// order (gateway, subgraphs, database) and leaves nothing running.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '@assay/kit';
import { ConfigError, describeUrl, EmbeddedPostgres, SUBGRAPHS } from '@assay/kit/operations';
import pg from 'pg';
import { AccessStore } from '../services/gateway/src/access/access-store.ts';
import { devKeyPath, ensureDevApiKey } from '../services/gateway/src/access/dev-key.ts';
import { startEmbeddedDatabase } from './embedded-database.ts';

const ROOT = join(import.meta.dirname, '..');
const REGISTER = join(ROOT, 'services', 'kit', 'register.mjs');

let config: ReturnType<typeof load>;
function load() {
  return loadConfig([
    'DATABASE_URL',
    'ASSAY_DATA_DIR',
    'ASSAY_EMBEDDED_PG_PORT',
    'ASSAY_HOST',
    'ASSAY_GATEWAY_PORT',
    'ASSAY_SHUTDOWN_TIMEOUT_MS',
    'ASSAY_CONTEXT_SECRET',
    ...SUBGRAPHS.map((s) => s.portVariable),
  ]);
}
try {
  config = load();
} catch (error) {
  process.stderr.write(`assay: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(2);
}

const say = (line: string) => process.stderr.write(`assay: ${line}\n`);
const children: { name: string; child: ChildProcess }[] = [];
let database: EmbeddedPostgres | undefined;
let stopping = false;

/** A server given by DATABASE_URL may be late: say so once, in one line, and keep trying. */
async function waitForDatabase(url: string): Promise<void> {
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.end();
      if (attempt > 1) say('database reachable');
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (attempt === 1)
        say(`cannot reach PostgreSQL at ${describeUrl(url)} (${reason}); retrying with backoff`);
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}

async function startDatabase(): Promise<string> {
  if (config.DATABASE_URL) {
    await waitForDatabase(config.DATABASE_URL);
    return config.DATABASE_URL;
  }
  const embedded = await startEmbeddedDatabase({
    dataDir: config.ASSAY_DATA_DIR,
    port: config.ASSAY_EMBEDDED_PG_PORT,
    say,
  });
  database = embedded.server;
  return embedded.url;
}

function startProcess(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  // Spawned directly (not through npx/npm exec, which do not forward signals), in their own process
  // group so a terminal's Ctrl-C reaches only this supervisor, which stops them in order. The IPC
  // channel makes a child stop by itself if this supervisor dies.
  const child = spawn(process.execPath, ['--import', REGISTER, entry], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  children.push({ name, child });
  child.once('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited unexpectedly (${code ?? signal}); stopping everything`);
    void stop(1);
  });
  return child;
}

async function waitReady(name: string, url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} did not start`);
    const ok = await fetch(url)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(100);
  }
}

async function stop(code: number): Promise<never> {
  if (stopping) return new Promise(() => {});
  stopping = true;
  // Reverse order: the gateway first, so no new work reaches a stopping subgraph.
  for (const { name, child } of [...children].reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const done = await Promise.race([
      exited.then(() => true),
      sleep(config.ASSAY_SHUTDOWN_TIMEOUT_MS + 2000, false),
    ]);
    if (!done) {
      say(`${name} did not stop in time; killing it`);
      child.kill('SIGKILL');
      await exited;
    }
  }
  await database?.stop();
  process.exit(code);
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** On loopback, a development key for the default tenant (the gateway has created the access schema). */
async function developmentKey(databaseUrl: string) {
  const store = new AccessStore(databaseUrl, 1);
  try {
    return await ensureDevApiKey(store, config.ASSAY_DATA_DIR);
  } finally {
    await store.close();
  }
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const databaseUrl = await startDatabase();
  // Signed contexts live minutes: a secret made per start is enough when one supervisor runs them all.
  const secret = config.ASSAY_CONTEXT_SECRET ?? randomBytes(32).toString('base64url');
  const env = { ...process.env, DATABASE_URL: databaseUrl, ASSAY_CONTEXT_SECRET: secret };
  const host = config.ASSAY_HOST === '0.0.0.0' ? '127.0.0.1' : config.ASSAY_HOST;
  await Promise.all(
    SUBGRAPHS.map(({ name, portVariable }) => {
      const child = startProcess(name, `services/${name}/src/main.ts`, env);
      return waitReady(name, `http://${host}:${config[portVariable]}/readyz`, child);
    }),
  );
  const gateway = startProcess('gateway', 'services/gateway/src/main.ts', env);
  await waitReady('gateway', `http://${host}:${config.ASSAY_GATEWAY_PORT}/readyz`, gateway);
  const key = LOOPBACK.has(config.ASSAY_HOST) ? await developmentKey(databaseUrl) : undefined;
  // One write: whoever reads "ready" has the key line with it.
  const keyLine = key?.created
    ? `API key: ${key.key} (shown once; kept in ${devKeyPath(config.ASSAY_DATA_DIR)})\n`
    : key
      ? `API key: in ${devKeyPath(config.ASSAY_DATA_DIR)}\n`
      : '';
  process.stdout.write(`Assay is ready: http://${host}:${config.ASSAY_GATEWAY_PORT}/graphql\n${keyLine}`);
} catch (error) {
  if (!stopping) {
    say((error as Error).message.split('\n')[0] ?? 'start-up failed');
    await stop(1);
  }
}
