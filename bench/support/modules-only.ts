// The memory floor of a service (`npm run bench -- floor`): a process that starts telemetry and
// loads the service's modules as its main.ts does, then does nothing (no server, no database, no
// work). After `--idle` seconds it prints its memory as one line: `modules-only {json}` in MB.
// `--service none` loads nothing but the repo's TypeScript hook (node --import register.mjs).
//   node --import ./services/kit/register.mjs bench/support/modules-only.ts --service scoring
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { service: { type: 'string', default: 'none' }, idle: { type: 'string', default: '15' } },
});
const entries: Record<string, () => Promise<unknown>> = {
  gateway: () => import('../../services/gateway/src/run-gateway.ts'),
  scoring: () => import('../../services/scoring/src/app.ts'),
  review: () => import('../../services/review/src/app.ts'),
  'failure-catalog': () => import('../../services/failure-catalog/src/app.ts'),
};
const service = values.service!;
if (service !== 'none') {
  const load = entries[service];
  if (!load) throw new Error(`--service is none or one of ${Object.keys(entries).join(', ')}`);
  const { startTelemetry } = await import('@assay/kit/telemetry');
  startTelemetry(service);
  await import('@assay/kit');
  await load();
}
setTimeout(() => {
  const mb = Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 2 ** 20)]);
  console.log(`modules-only ${JSON.stringify(Object.fromEntries(mb))}`);
  process.exit(0);
}, Number(values.idle) * 1000);
