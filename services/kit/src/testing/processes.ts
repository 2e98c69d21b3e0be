import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUBGRAPHS } from '../config/subgraphs.ts';
import { registerGateway, registerSubgraph, TEST_CONTEXT_SECRET } from './credentials.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');

/**
 * Where outgoing connections' source ports begin (Linux: `ip_local_port_range`). A port from that
 * range that nobody listens on now can be taken by any connection opened before our server binds it
 * (a test's PostgreSQL pool, say): "already in use" at start, now and then.
 */
export const EPHEMERAL_FROM = ((): number => {
  try {
    const from = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0],
    );
    if (from > 0) return from;
  } catch {}
  return 32768;
})();

/** Ports handed out by this process: never twice, even once their check server has closed. */
const handedOut = new Set<number>();

/**
 * A port nobody listens on right now, below the ephemeral range, not handed out before here. Where
 * that range starts too low to leave room below it, the kernel's choice (port 0), as before.
 */
export async function freePort(): Promise<number> {
  const bottom = 10000;
  const top = Math.min(EPHEMERAL_FROM, 32768) - 1;
  for (let attempt = 0; top - bottom >= 1000 && attempt < 200; attempt++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom + 1));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  return anyPort();
}

function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Free ports for every process `npm start` runs, as the variables that set them. */
export async function systemPorts(): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ASSAY_GATEWAY_PORT: String(await freePort()) };
  for (const subgraph of SUBGRAPHS) env[subgraph.portVariable] = String(await freePort());
  return env;
}

export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first stdout/stderr text matching `pattern`, rejects if the process exits first. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a repo script (TypeScript) the way `npm start` does: node with the SWC hooks, no npm wrapper. */
export function runScript(script: string, env: NodeJS.ProcessEnv, args: string[] = []): Started {
  // Subgraphs it starts share the tests' signing secret, so `gql()` can call them directly.
  for (const subgraph of SUBGRAPHS) {
    const port = env[subgraph.portVariable];
    if (port) for (const host of ['127.0.0.1', 'localhost']) registerSubgraph(`http://${host}:${port}`);
  }
  const child = spawn(
    process.execPath,
    ['--import', join(ROOT, 'services/kit/register.mjs'), join(ROOT, script), ...args],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: 'warn',
        // A data directory (spools, embedded PostgreSQL) of its own unless the test names one: two
        // systems started by tests side by side must not share the repository's `.assay`.
        ASSAY_DATA_DIR: mkdtempSync(join(tmpdir(), 'assay-script-')),
        ASSAY_CONTEXT_SECRET: TEST_CONTEXT_SECRET,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const listeners = new Set<() => void>();
  let registered = false;
  const onData = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    if (!registered) registered = registerSystem(output);
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then(({ code, signal }) => {
          if (!listeners.has(check)) return;
          cleanup();
          reject(new Error(`exited (${code ?? signal}) before ${pattern}; output:\n${output}`));
        });
        check();
      });
    },
  };
}

/**
 * `npm start` prints its gateway URL and, on loopback, the development key (or where it is kept):
 * from then on `gql()` calls to that gateway carry it.
 */
function registerSystem(output: string): boolean {
  const ready = /Assay is ready: (http:\S+)/.exec(output);
  const key = /API key: (assay_\S+)/.exec(output) ?? /API key: in (\S+)/.exec(output);
  if (!ready || !key) return false;
  const value = key[1]!.startsWith('assay_') ? key[1]! : readFileSync(key[1]!, 'utf8').trim();
  registerGateway(ready[1]!, value);
  return true;
}

/** Direct children of a process (their pids), read from ps. */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter(Boolean);
  } catch {
    return [];
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
