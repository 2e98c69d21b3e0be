// Every bench, one after another, each in its own process; their headline figures (what they print,
// see bench/support/figures.ts, and what they record()) go to bench/results/<YYYY-MM-DD>.json with
// the commit, the machine and the load average before and after each bench.
//   npm run bench -- all [--only scoring,gateway] [--quick] [--out FILE]
// --quick: fewer runs/seconds per bench (a smoke check of the figures; noisier, not comparable with a full run).
// Compare two results: npm run bench -- compare bench/results/A.json bench/results/B.json
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Figures, parseFigures, parseRecorded } from './support/figures.ts';

export const BENCHES = [
  'scoring',
  'write-path',
  'gateway',
  'review',
  'failures',
  'recovery',
  'cli',
  'floor',
  'fields',
];
const QUICK: Record<string, string[]> = {
  scoring: ['--runs', '200', '--watch', '20', '--single', '10'],
  'write-path': ['--writes', '1000', '--spooled', '2000'],
  gateway: ['--seconds', '3', '--rounds', '1', '--runs', '200'],
  review: ['--single', '3', '--runs', '12'],
  failures: ['--burst', '5000', '--seconds', '4', '--transactions', '500', '--runs', '50'],
  recovery: ['--outage', '50', '--mid-run', '20'],
  cli: ['--count', '5'],
  floor: ['--ops', '1000'],
  fields: ['--queries', '500'],
  profile: ['--runs', '200', '--logged', '30'],
};

const { values } = parseArgs({
  options: { only: { type: 'string' }, quick: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const selected = values.only ? values.only.split(',').map((s) => s.trim()) : BENCHES;
const known = [...BENCHES, 'profile'];
for (const name of selected)
  if (!known.includes(name)) throw new Error(`unknown bench ${name}: one of ${known.join(', ')}`);

const root = join(import.meta.dirname, '..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const load = () => loadavg().map((l) => Number(l.toFixed(2)));
const date = new Date().toISOString().slice(0, 10);
const out = values.out ?? join(root, 'bench', 'results', `${date}.json`);
const scratch = await mkdtemp(join(tmpdir(), 'assay-bench-all-'));

interface BenchResult {
  args: string[];
  exit: number | null;
  seconds: number;
  loadBefore: number[];
  loadAfter: number[];
  figures: Figures;
}
const result = {
  date: new Date().toISOString(),
  commit: git('rev-parse', 'HEAD'),
  dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version },
  quick: values.quick,
  benches: {} as Record<string, BenchResult>,
};

function run(
  name: string,
  args: string[],
  jsonFile: string,
): Promise<{ exit: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', join(root, 'services/kit/register.mjs'), join(root, 'bench/run.ts'), name, ...args],
      {
        cwd: root,
        env: { ...process.env, ASSAY_BENCH_JSON: jsonFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (c: Buffer) => {
      output += c;
      process.stdout.write(c);
    });
    child.stderr!.on('data', (c: Buffer) => process.stderr.write(c));
    child.once('exit', (code) => resolve({ exit: code, output }));
  });
}

try {
  for (const name of selected) {
    const args = values.quick ? (QUICK[name] ?? []) : [];
    const loadBefore = load();
    console.log(`\n=== bench ${name} ${args.join(' ')} (load average ${loadBefore.join(' ')})`);
    const jsonFile = join(scratch, `${name}.jsonl`);
    await writeFile(jsonFile, '');
    const started = performance.now();
    const { exit, output } = await run(name, args, jsonFile);
    const figures = { ...parseFigures(name, output), ...parseRecorded(await readFile(jsonFile, 'utf8')) };
    result.benches[name] = {
      args,
      exit,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
      loadBefore,
      loadAfter: load(),
      figures,
    };
    if (exit !== 0) console.log(`=== bench ${name} exited ${exit}: its figures may be missing`);
    // Written after every bench, so a long run interrupted keeps what it measured.
    await mkdir(join(out, '..'), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  }
  console.log(`\nfigures of ${Object.keys(result.benches).length} benches written to ${out}`);
  for (const [name, bench] of Object.entries(result.benches)) {
    console.log(
      `  ${name} (${bench.seconds} s, load ${bench.loadBefore.join(' ')} → ${bench.loadAfter.join(' ')}, exit ${bench.exit}):`,
    );
    for (const [figure, f] of Object.entries(bench.figures))
      console.log(
        `    ${figure.padEnd(56)} ${String(Number(f.value.toPrecision(4))).padStart(10)} ${f.unit}`,
      );
  }
  if (Object.values(result.benches).some((b) => b.exit !== 0)) process.exitCode = 1;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
