// Two results of `npm run bench -- all`, figure by figure: both values, B ÷ A, and a mark where B is
// worse (lower throughput, higher latency) by more than --threshold (default 10 %: this machine's
// run-to-run noise; see the load averages each result records).
//   npm run bench -- compare bench/results/A.json bench/results/B.json [--threshold 0.1] [--strict]
// --strict: exit 1 when any figure regressed (for a CI job on a quiet machine; tests never do this).
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Figure } from './support/figures.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { threshold: { type: 'string', default: '0.1' }, strict: { type: 'boolean', default: false } },
});
if (positionals.length !== 2) {
  process.stderr.write('usage: npm run bench -- compare A.json B.json [--threshold 0.1] [--strict]\n');
  process.exit(2);
}
interface Result {
  date: string;
  commit: string;
  dirty?: boolean;
  quick?: boolean;
  benches: Record<string, { loadBefore: number[]; loadAfter: number[]; figures: Record<string, Figure> }>;
}
const [a, b] = (await Promise.all(positionals.map((p) => readFile(p, 'utf8')))).map(
  (t) => JSON.parse(t) as Result,
) as [Result, Result];
const threshold = Number(values.threshold);
const describe = (r: Result, path: string) =>
  `${path}: ${r.date} at ${r.commit.slice(0, 10)}${r.dirty ? ' (+ uncommitted changes)' : ''}${r.quick ? ' (--quick)' : ''}`;
console.log(`A = ${describe(a, positionals[0]!)}\nB = ${describe(b, positionals[1]!)}`);
if (a.quick !== b.quick)
  console.log('warning: one result is --quick and the other is not; figures are not comparable');

let regressions = 0;
let improvements = 0;
const benches = [...new Set([...Object.keys(a.benches), ...Object.keys(b.benches)])];
const num = (v: number | undefined) => (v === undefined ? '—' : Number(v.toPrecision(4)).toString());
for (const bench of benches) {
  const fa = a.benches[bench]?.figures ?? {};
  const fb = b.benches[bench]?.figures ?? {};
  const load = (r: Result) => r.benches[bench]?.loadBefore?.[0]?.toFixed(2) ?? '—';
  console.log(`\n${bench}  (load average A ${load(a)}, B ${load(b)})`);
  console.log(`  ${'figure'.padEnd(56)} ${'A'.padStart(10)} ${'B'.padStart(10)} ${'B÷A'.padStart(7)}`);
  for (const name of [...new Set([...Object.keys(fa), ...Object.keys(fb)])]) {
    const x = fa[name];
    const y = fb[name];
    const f = (y ?? x)!;
    let ratio = '';
    let mark = '';
    if (x && y && x.value !== 0) {
      const r = y.value / x.value;
      ratio = `${r.toFixed(2)}×`;
      const worse = f.better === 'higher' ? r < 1 - threshold : r > 1 + threshold;
      const better = f.better === 'higher' ? r > 1 + threshold : r < 1 - threshold;
      if (worse) {
        mark = `  REGRESSION (${f.better} is better)`;
        regressions++;
      } else if (better) {
        mark = '  better';
        improvements++;
      }
    } else if (x && !y) mark = '  missing in B';
    else if (!x && y) mark = '  new in B';
    const label = name.replace(`${bench}: `, '');
    console.log(
      `  ${`${label} (${f.unit})`.padEnd(56)} ${num(x?.value).padStart(10)} ${num(y?.value).padStart(10)} ${ratio.padStart(7)}${mark}`,
    );
  }
}
console.log(
  `\n${regressions} regression(s), ${improvements} improvement(s) beyond ±${(threshold * 100).toFixed(0)} %`,
);
if (values.strict && regressions > 0) process.exitCode = 1;
