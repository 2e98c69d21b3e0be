// The headline figures of each bench, read from what it prints (so a bench needs no change to be
// guarded), plus any a bench records itself with `record()` (bench/stats.ts, ASSAY_BENCH_JSON).
export interface Figure {
  value: number;
  unit: string;
  better: 'higher' | 'lower';
}
export type Figures = Record<string, Figure>;

type Rule = [name: string, pattern: RegExp, unit: string, better: 'higher' | 'lower', group?: number];

const n = String.raw`([\d.]+)`;
const RULES: Record<string, Rule[]> = {
  scoring: [
    ...(['cold', 'warm'] as const).flatMap((when): Rule[] =>
      (['p50', 'p99'] as const).map(
        (p): Rule => [
          `progress event → subscriber, ${when}, ${p}`,
          new RegExp(`progress event.*${when} processes.*${p} ${n} ms`),
          'ms',
          'lower',
        ],
      ),
    ),
    ['one run at a time, p50', new RegExp(`one run at a time.*p50 ${n} ms`), 'ms', 'lower'],
    ['one run at a time, p99', new RegExp(`one run at a time.*p99 ${n} ms`), 'ms', 'lower'],
    [
      'startScoringRun through the gateway',
      new RegExp(String.raw`startScoringRun through the gateway\s+${n} /s`),
      'req/s',
      'higher',
    ],
    ['RULES runs completed', new RegExp(`completed: .* = ${n} runs/s`), 'runs/s', 'higher'],
    [
      'executing RUNNING → DONE, p50',
      new RegExp(String.raw`executing \(RUNNING → DONE\): p50 ${n} ms`),
      'ms',
      'lower',
    ],
    [
      'DONE runs without a verified score',
      new RegExp(`DONE runs without a verified score: ${n}`),
      'runs',
      'lower',
    ],
  ],
  'write-path': [
    ['plain flush', new RegExp(String.raw`^plain MikroORM flush\s+${n} /s`, 'm'), 'writes/s', 'higher'],
    ['reliable write', new RegExp(String.raw`^reliable \(tx.*?\s+${n} /s`, 'm'), 'writes/s', 'higher'],
    ['reliable ÷ plain', new RegExp(`reliable / plain throughput: ${n}`), '×', 'higher'],
    [
      'spooled (database away)',
      new RegExp(String.raw`^spooled \(database away\)\s+${n} /s`, 'm'),
      'writes/s',
      'higher',
    ],
    ['spool drain', new RegExp(String.raw`^drain of the spool\s+${n} /s`, 'm'), 'records/s', 'higher'],
  ],
  gateway: [
    [
      'scoring subgraph direct',
      new RegExp(String.raw`^scoring subgraph, direct\s+${n}`, 'm'),
      'req/s',
      'higher',
    ],
    [
      'gateway, authentication off',
      new RegExp(String.raw`^gateway, authentication off\s+${n}`, 'm'),
      'req/s',
      'higher',
    ],
    ['gateway, API key', new RegExp(String.raw`^gateway, API key\s+${n}`, 'm'), 'req/s', 'higher'],
    [
      'gateway, API key, p99',
      new RegExp(String.raw`^gateway, API key\s+[\d.]+\s+[\d.]+\s+${n}`, 'm'),
      'ms',
      'lower',
    ],
    [
      'gateway (API key) ÷ subgraph',
      new RegExp(String.raw`gateway \(API key\) ÷ subgraph:\s+${n}`),
      '×',
      'higher',
    ],
  ],
  review: [
    ['one review at a time, p50', new RegExp(`one review at a time.*?p50 ${n} ms`), 'ms', 'lower'],
    [
      'reviews completed, no faults',
      new RegExp(` 0% of calls answered 500: ${n} completed/min`),
      'reviews/min',
      'higher',
    ],
    [
      'reviews completed, with faults',
      new RegExp(String.raw`[1-9]\d*% of calls answered 500: ${n} completed/min`),
      'reviews/min',
      'higher',
    ],
  ],
  failures: [
    [
      'failures stored end to end',
      new RegExp(String.raw`^1\. .*: ${n} failures/s`, 'm'),
      'failures/s',
      'higher',
    ],
    ['intake lag p99', new RegExp(String.raw`^2\. .*p99 ${n}`, 'm'), 'ms', 'lower'],
    ['matching one failure', new RegExp(String.raw`^3\. .*: ${n} µs per failure`, 'm'), 'µs', 'lower'],
    ['producer cost at p50', new RegExp(String.raw`^4\. .*\(\+${n} ms at p50\)`, 'm'), 'ms', 'lower'],
  ],
  recovery: [
    [
      'outage: back → last RULES run DONE',
      new RegExp(String.raw`outage: last run DONE\+verified ${n} s`),
      's',
      'lower',
    ],
    [
      'mid-run: back → last LLM run DONE',
      new RegExp(String.raw`mid-run: last run DONE\+verified ${n} s`),
      's',
      'lower',
    ],
    ['mid-run: model calls per run', new RegExp(`model calls per run ${n}`), 'calls', 'lower'],
  ],
  cli: [
    ['assay --help, p50', new RegExp(String.raw`^assay --help:\s+p50 ${n} ms`, 'm'), 'ms', 'lower'],
    [
      'assay score to exit, p50',
      new RegExp(String.raw`^assay score \(RULES\), to exit:\s+p50 ${n} ms`, 'm'),
      'ms',
      'lower',
    ],
  ],
};

/** Figures found in a bench's output, keyed `<bench>: <figure>`. */
export function parseFigures(bench: string, output: string): Figures {
  const out: Figures = {};
  for (const [name, pattern, unit, better, group = 1] of RULES[bench] ?? []) {
    const match = pattern.exec(output);
    if (match) out[`${bench}: ${name}`] = { value: Number(match[group]), unit, better };
  }
  return out;
}

/** Figures a bench recorded itself (JSON lines). */
export function parseRecorded(jsonLines: string): Figures {
  const out: Figures = {};
  for (const line of jsonLines.split('\n')) {
    if (!line.trim()) continue;
    const { name, value, unit, better } = JSON.parse(line) as Figure & { name: string };
    out[name] = { value, unit, better };
  }
  return out;
}
