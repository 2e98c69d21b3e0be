// Top self-time functions of a V8 .cpuprofile (node --cpu-prof), optionally only the samples taken
// inside a window of the monotonic clock (process.hrtime, µs: the profile's own clock on Linux).
//   node --import ./services/kit/register.mjs bench/support/cpu-top.ts FILE.cpuprofile [--top 20] [--from µs --to µs]
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface CpuSummary {
  /** Wall time covered by the samples counted, ms. */
  windowMs: number;
  /** Self time of every sample counted that is not idle, ms. */
  busyMs: number;
  functions: { name: string; where: string; group: string; ms: number }[];
  groups: { group: string; ms: number }[];
}

const ROOT = relative('/', `${import.meta.dirname}/../..`);

/** Which package or part of the repository a script belongs to. */
export function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8)';
  if (url.startsWith('node:')) return 'node:internal';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const inRepo = path.indexOf(`${ROOT}/`);
  const local = inRepo >= 0 ? path.slice(inRepo + ROOT.length + 1) : path;
  const service = /^services\/([^/]+)\//.exec(local);
  return service ? `@assay/${service[1]}` : local.split('/').slice(0, 2).join('/');
}

export async function summarise(
  file: string,
  window?: { from: number; to: number },
  top = 20,
): Promise<CpuSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (window && (t < window.from || t > window.to)) continue;
    // A sample stands for the time until the next one.
    const weight = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + weight);
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  const functions = new Map<string, { name: string; where: string; group: string; ms: number }>();
  const groups = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    busyUs += us;
    const group = groupOf(url, functionName);
    const where = url
      ? `${url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/services\//, 'services/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName}@${where}`;
    const entry = functions.get(key) ?? { name: functionName || '(anonymous)', where, group, ms: 0 };
    entry.ms += us / 1000;
    functions.set(key, entry);
    groups.set(group, (groups.get(group) ?? 0) + us / 1000);
  }
  return {
    windowMs: last > first ? (last - first) / 1000 : 0,
    busyMs: busyUs / 1000,
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms).slice(0, top),
    groups: [...groups.entries()]
      .map(([group, ms]) => ({ group, ms }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

/** The summary as text: busy share of the window, then packages, then functions by self time. */
/** `cpuMs`: the process's real CPU time in the window (/proc), to scale the shares into µs per run. */
export function format(label: string, s: CpuSummary, perRun?: number, cpuMs?: number): string {
  const scale = cpuMs !== undefined && s.busyMs > 0 ? cpuMs / s.busyMs : 1;
  const pct = (ms: number) => `${((100 * ms) / Math.max(s.busyMs, 1e-9)).toFixed(1).padStart(5)}%`;
  const each = (ms: number) =>
    perRun ? `  ${((1000 * ms * scale) / perRun).toFixed(0).padStart(6)} µs/run` : '';
  const lines = [
    `${label}: samples not idle ${s.busyMs.toFixed(0)} ms of ${s.windowMs.toFixed(0)} ms${cpuMs !== undefined ? `, CPU used ${cpuMs.toFixed(0)} ms` : ''}${perRun ? `, ${((1000 * s.busyMs * scale) / perRun).toFixed(0)} µs CPU per run` : ''}`,
    '  by package (self time):',
    ...s.groups.map((g) => `    ${pct(g.ms)} ${g.ms.toFixed(0).padStart(7)} ms${each(g.ms)}  ${g.group}`),
    '  top functions (self time):',
    ...s.functions.map(
      (f) =>
        `    ${pct(f.ms)} ${f.ms.toFixed(0).padStart(7)} ms  ${f.name.slice(0, 40).padEnd(40)} ${f.group.padEnd(24)} ${f.where}`,
    ),
  ];
  return lines.join('\n');
}

if (import.meta.filename === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' }, from: { type: 'string' }, to: { type: 'string' } },
  });
  const window = values.from && values.to ? { from: Number(values.from), to: Number(values.to) } : undefined;
  for (const file of positionals)
    console.log(format(file, await summarise(file, window, Number(values.top))), '\n');
}
