// A gateway process for `npm run bench -- gateway`, built as services/gateway/src/main.ts builds
// it (telemetry, access, the same plugins). With `--auth off` every request is taken as
// the default tenant's admin without looking at any credential: the baseline that shows what
// authentication costs. Only the bench starts it; nothing else can turn authentication off.
// With `--cpu-prof <file>` the process profiles itself (V8 CPU profile, for Chrome DevTools or
// speedscope) from start to SIGTERM and writes the profile to that file before it exits.
// On SIGUSR2 it prints its memory (rss, heapTotal, heapUsed, external) before and after a full GC.
// `--planner stitching` uses Hive Gateway's JavaScript query planner instead of Hive Router's (the
// gateway's own choice), to compare the two.
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startTelemetry } from '@assay/kit/telemetry';

const { values: flags } = parseArgs({
  options: {
    auth: { type: 'string', default: 'on' },
    'cpu-prof': { type: 'string' },
    planner: { type: 'string' },
  },
});
const profile = flags['cpu-prof'] ? await startProfile(flags['cpu-prof']) : undefined;

const telemetry = startTelemetry('gateway');
const { createLogger, listen } = await import('@assay/kit/operations');
const { createAccess } = await import('../../services/gateway/src/access/access.ts');
const { createGateway, loadGatewayConfig } = await import('../../services/gateway/src/gateway.ts');

const log = createLogger('gateway');
const config = loadGatewayConfig();
const access = createAccess(config, log);
await access.start();
if (flags.auth === 'off') {
  const caller = { tenant: 'default', scopes: ['admin' as const], subject: 'bench' };
  access.authenticator.authenticate = async () => caller;
}
const planner = flags.planner as 'router' | 'stitching' | undefined;
const server = createGateway(config, access, log, telemetry, { planner });
await listen(server, config.ASSAY_GATEWAY_PORT, config.ASSAY_HOST);
const { port } = server.address() as AddressInfo;
log.warn({ port }, `gateway ready at http://${config.ASSAY_HOST}:${port}/graphql`);
// SIGUSR2: a full garbage collection, then the process's memory as one line (the bench's heap
// report: how much of the resident memory after the load is live heap, and how much is not).
process.on('SIGUSR2', async () => {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  const before = process.memoryUsage();
  await session.post('HeapProfiler.collectGarbage');
  session.disconnect();
  const after = process.memoryUsage();
  const mb = (m: NodeJS.MemoryUsage) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v / 2 ** 20)]));
  console.log(`memory report ${JSON.stringify({ before: mb(before), afterFullGc: mb(after) })}`);
});
process.on('SIGTERM', async () => {
  await profile?.();
  server.close(() => process.exit(0));
});

async function startProfile(file: string): Promise<() => Promise<void>> {
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
  };
}
