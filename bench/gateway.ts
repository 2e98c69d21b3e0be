// The gateway's cost, measured from outside on the whole system: one simple query (`scoringRun(id)`
// with a different existing id per request, so the gateway's de-duplication of identical in-flight
// requests cannot flatter it) sent by `--connections` keep-alive clients for `--seconds` per round to
//  1. the scoring subgraph directly (with a signed context, as the gateway would send),
//  2. a gateway with authentication off (every request taken as one caller: the baseline), and
//  3. the same gateway with authentication on (an API key per request, hashed and compared),
// and two floors (bench/support/bare-gateway.ts):
//  4. Hive Gateway with nothing of ours (no telemetry, access, limits or other plugins), and
//  5. a bare node:http proxy to the subgraph: no GraphQL work at all.
// Rounds alternate between them so drift on the machine hits each alike. Besides req/s it charges
// CPU (/proc) per request to the process in front and to the scoring subgraph: on shared cores the
// ratio to the subgraph is about C_subgraph ÷ (C_subgraph + C_front), which the table prints too.
// Afterwards it prints each process's resident memory (the system's and both bench gateways), and
// of the bench gateways how much is V8 heap, and live heap after a full GC.
//   npm run bench -- gateway [--seconds 8] [--rounds 2] [--connections 20] [--runs 500] [--cpu-prof DIR]
//     [--planner router|stitching] [--node-options=--max-old-space-size=256]
// `--node-options` are given to the bench gateways (NODE_OPTIONS), to compare V8 settings.
// With `--cpu-prof DIR` both bench gateways write a V8 CPU profile there (gateway-auth-off.cpuprofile,
// gateway-auth-on.cpuprofile) when they stop.
import { readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CONTEXT_HEADER } from '@assay/kit/auth';
import {
  childPids,
  credentialsFor,
  freePort,
  gql,
  runScript,
  type Started,
  signedContext,
  systemPorts,
} from '@assay/kit/testing';
import { startEmbeddedDatabase } from '../scripts/embedded-database.ts';
import { percentile } from './stats.ts';
import { cpuMs } from './support/proc-cpu.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '20' },
    runs: { type: 'string', default: '500' },
    'cpu-prof': { type: 'string' },
    planner: { type: 'string', default: 'router' },
    'node-options': { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const RUNS = Number(values.runs);
if (values.planner !== 'router' && values.planner !== 'stitching')
  throw new Error(`--planner is router or stitching, not ${JSON.stringify(values.planner)}`);
const PROFILE_DIR = values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined;
if (PROFILE_DIR) await mkdir(PROFILE_DIR, { recursive: true });

const QUERY = 'query($id: ID!) { scoringRun(id: $id) { id status attempt createdAt } }';
const DIFF = 'diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-const a = 1;\n+const a = 2;\n';

const dir = await mkdtemp(join(tmpdir(), 'assay-bench-gateway-'));
await chmod(dir, 0o755); // the embedded server runs as the postgres user when we are root
const embedded = process.env.DATABASE_URL
  ? undefined
  : await startEmbeddedDatabase({ dataDir: dir, port: await freePort(), say: () => undefined });
const databaseUrl = process.env.DATABASE_URL ?? embedded!.url;
const processes: Started[] = [];

interface Target {
  label: string;
  url: string;
  headers: Record<string, string>;
  latencies: number[];
  seconds: number;
  /** The process in front of the subgraph (none when direct), and CPU charged in recorded rounds, ms. */
  frontPid?: number;
  frontCpu: number;
  subgraphCpu: number;
}
let scoringPid = 0;

/** `--connections` clients, each sending one request after another for `seconds`. */
async function load(target: Target, ids: string[], seconds: number, record: boolean): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const { hostname, port, pathname } = new URL(target.url);
  const until = performance.now() + seconds * 1000;
  let n = 0;
  const send = (id: string) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ query: QUERY, variables: { id } });
      const req = request(
        {
          agent,
          hostname,
          port,
          path: pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...target.headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () =>
            res.statusCode === 200 && text.includes(`"id":"${id}"`)
              ? resolve()
              : reject(new Error(`${target.label}: ${res.statusCode} ${text.slice(0, 300)}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const started = performance.now();
  const cpuBefore = [target.frontPid ? cpuMs(target.frontPid) : 0, cpuMs(scoringPid)];
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const id = ids[n++ % ids.length]!;
        const t = performance.now();
        await send(id);
        if (record) target.latencies.push(performance.now() - t);
      }
    }),
  );
  if (record) {
    target.seconds += (performance.now() - started) / 1000;
    target.frontCpu += (target.frontPid ? cpuMs(target.frontPid) : 0) - cpuBefore[0]!;
    target.subgraphCpu += cpuMs(scoringPid) - cpuBefore[1]!;
  }
  agent.destroy();
}

function rssMb(pid: number): string {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return line ? (Number(line[1]) / 1024).toFixed(0) : '?';
}

/** `npm start`'s children by entry point (services/<name>/src/main.ts), the database by its binary. */
function commandOf(pid: number): string {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  const service = argv.findLast((a) => a.includes('services/'))?.match(/services\/([^/]+)\//)?.[1];
  return service ?? argv[0]!.split('/').pop()!;
}

try {
  const ports = await systemPorts();
  const system = runScript('scripts/start.ts', {
    DATABASE_URL: databaseUrl,
    ASSAY_DATA_DIR: join(dir, 'system'),
    ...ports,
  });
  processes.push(system);
  const url = (await system.waitFor(/Assay is ready: (\S+)/, 180_000))[1]!; // slow when others load the machine
  await system.waitFor(/API key: /);
  const gateways: Record<'on' | 'off', string> = { on: '', off: '' };
  const gatewayPids: Record<'on' | 'off', number> = { on: 0, off: 0 };
  const gatewayProcesses: Partial<Record<'on' | 'off', Started>> = {};
  for (const auth of ['off', 'on'] as const) {
    const port = await freePort();
    const gateway = runScript(
      'bench/support/gateway-server.ts',
      {
        DATABASE_URL: databaseUrl,
        ...ports,
        ASSAY_GATEWAY_PORT: String(port),
        // The limiter still runs on every request, but must not refuse the bench's own load.
        ASSAY_RATE_LIMIT_PER_MINUTE: String(1e9),
        ...(values['node-options'] ? { NODE_OPTIONS: values['node-options'] } : {}),
      },
      [
        '--auth',
        auth,
        '--planner',
        values.planner,
        ...(PROFILE_DIR ? ['--cpu-prof', join(PROFILE_DIR, `gateway-auth-${auth}.cpuprofile`)] : []),
      ],
    );
    processes.push(gateway);
    gatewayPids[auth] = gateway.child.pid!;
    gatewayProcesses[auth] = gateway;
    gateways[auth] = (await gateway.waitFor(/gateway ready at (\S+graphql)/, 180_000))[1]!;
  }
  // The floors (bench/support/bare-gateway.ts), on the same subgraphs.
  const startFloor = async (kind: 'hive' | 'proxy') => {
    const bare = runScript(
      'bench/support/bare-gateway.ts',
      {
        ...ports,
        ASSAY_GATEWAY_PORT: String(await freePort()),
        BENCH_CONTEXT: signedContext('default', ['admin'], 'bench'),
      },
      ['--kind', kind],
    );
    processes.push(bare);
    return { url: (await bare.waitFor(/gateway ready at (\S+graphql)/, 180_000))[1]!, pid: bare.child.pid! };
  };
  const floors = { hive: await startFloor('hive'), proxy: await startFloor('proxy') };
  scoringPid = childPids(system.child.pid!).find((pid) => commandOf(pid) === 'scoring')!;

  console.log(`creating ${RUNS} runs…`);
  const ids: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = await gql(
      url,
      'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id } }',
      { input: { subject: { repository: 'bench/api', prNumber: i + 1, diff: DIFF }, scorer: 'RULES' } },
    );
    if (!started.data) throw new Error(`startScoringRun: ${JSON.stringify(started.errors)}`);
    ids.push(started.data.startScoringRun.id);
  }
  // Measured once they are all executed: the scoring workers must not compete with the load.
  for (let live = ids.length; live > 0; ) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const runs = await gql(
      url,
      '{ scoringRuns(first: 100, filter: { status: [QUEUED, RUNNING, SCORING] }) { nodes { id } } }',
    );
    live = runs.data?.scoringRuns.nodes.length ?? 1;
  }
  ids.sort(() => Math.random() - 0.5);

  const target = (
    label: string,
    targetUrl: string,
    headers: Record<string, string>,
    frontPid?: number,
  ): Target => ({
    label,
    url: targetUrl,
    headers,
    latencies: [],
    seconds: 0,
    frontPid,
    frontCpu: 0,
    subgraphCpu: 0,
  });
  const targets = [
    target('scoring subgraph, direct', `http://127.0.0.1:${ports.ASSAY_SCORING_PORT}/graphql`, {
      [CONTEXT_HEADER]: signedContext('default', ['admin'], 'bench'),
    }),
    target('gateway, authentication off', gateways.off, {}, gatewayPids.off),
    target('gateway, API key', gateways.on, credentialsFor(url), gatewayPids.on),
    target('floor: bare Hive Gateway', floors.hive.url, {}, floors.hive.pid),
    target('floor: node:http proxy', floors.proxy.url, {}, floors.proxy.pid),
  ];
  for (const t of targets) await load(t, ids, 2, false); // warm-up: JIT, pools, caches
  for (let round = 0; round < ROUNDS; round++) for (const t of targets) await load(t, ids, SECONDS, true);

  const rate = (t: Target) => t.latencies.length / t.seconds;
  console.log(
    `\n${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s each, ${RUNS} distinct run ids; all processes on this machine (${(await import('node:os')).cpus().length} cores)`,
  );
  console.log(
    'target                         req/s     p50 ms   p99 ms   ÷ direct   CPU ms/request: front  subgraph  modelled ratio',
  );
  const [direct, off, on] = targets as [Target, Target, Target];
  const perRequest = (t: Target, cpu: number) => cpu / t.latencies.length;
  for (const t of targets) {
    t.latencies.sort((a, b) => a - b);
    const front = perRequest(t, t.frontCpu);
    const subgraph = perRequest(t, t.subgraphCpu);
    console.log(
      `${t.label.padEnd(30)} ${rate(t).toFixed(0).padStart(6)} ${percentile(t.latencies, 50).toFixed(1).padStart(9)} ${percentile(t.latencies, 99).toFixed(1).padStart(8)} ${(rate(t) / rate(direct)).toFixed(3).padStart(9)}× ${front.toFixed(2).padStart(21)} ${subgraph.toFixed(2).padStart(9)} ${t.frontPid ? (subgraph / (subgraph + front)).toFixed(3).padStart(14) : ''}`,
    );
  }
  console.log(
    `\nauthenticated ÷ unauthenticated gateway: ${(rate(on) / rate(off)).toFixed(3)}× throughput (cost of authentication ${((1 - rate(on) / rate(off)) * 100).toFixed(1)}%)`,
  );
  console.log(`gateway (authentication off) ÷ subgraph: ${(rate(off) / rate(direct)).toFixed(3)}×`);
  console.log(`gateway (API key) ÷ subgraph:            ${(rate(on) / rate(direct)).toFixed(3)}×`);
  console.log('\nresident memory after the load (MB):');
  const memory = (label: string, pid: number) => console.log(`  ${label.padEnd(28)} ${rssMb(pid)}`);
  for (const pid of childPids(system.child.pid!)) memory(commandOf(pid), pid);
  memory('bench gateway, auth off', gatewayPids.off);
  memory('bench gateway, API key', gatewayPids.on);
  memory('floor: bare Hive Gateway', floors.hive.pid);
  memory('floor: node:http proxy', floors.proxy.pid);
  // What the bench gateways' resident memory is made of: live heap (after a full GC) or not.
  for (const [auth, gateway] of Object.entries(gatewayProcesses)) {
    gateway.child.kill('SIGUSR2');
    const report = (await gateway.waitFor(/memory report (\{.*\})/))[1]!;
    const { before, afterFullGc } = JSON.parse(report) as Record<string, Record<string, number>>;
    console.log(
      `  bench gateway, auth ${auth} (MB): rss ${before!.rss}, V8 heap ${before!.heapTotal} (${before!.heapUsed} used, ${afterFullGc!.heapUsed} live after a full GC), external ${before!.external}`,
    );
  }
} finally {
  for (const p of processes.toReversed()) {
    if (p.child.exitCode === null) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }
  await embedded?.server.stop();
  await rm(dir, { recursive: true, force: true });
}
