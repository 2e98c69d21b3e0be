import { appendFileSync } from 'node:fs';

/** Figures a benchmark prints: latency percentiles of a sample, in milliseconds. */
export function percentile(sortedMs: number[], p: number): number {
  if (sortedMs.length === 0) return Number.NaN;
  const index = Math.min(sortedMs.length - 1, Math.ceil((p / 100) * sortedMs.length) - 1);
  return sortedMs[Math.max(0, index)]!;
}

export interface Run {
  label: string;
  count: number;
  seconds: number;
  latenciesMs: number[];
}

/** Runs `task(i)` for i in [0, count) with `concurrency` in flight; times each and the whole. */
export async function measure(
  label: string,
  count: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<Run> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await task(i);
        latenciesMs.push(performance.now() - t);
      }
    }),
  );
  return {
    label,
    count,
    seconds: (performance.now() - started) / 1000,
    latenciesMs: latenciesMs.sort((a, b) => a - b),
  };
}

export function describe(run: Run): string {
  const rate = run.count / run.seconds;
  return `${run.label.padEnd(34)} ${rate.toFixed(0).padStart(7)} /s   p50 ${percentile(run.latenciesMs, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(run.latenciesMs, 99).toFixed(1).padStart(6)} ms   (${run.count} in ${run.seconds.toFixed(2)} s)`;
}

export const rate = (run: Run) => run.count / run.seconds;

/**
 * Records a headline figure for `npm run bench -- all`: when ASSAY_BENCH_JSON names a file, one
 * JSON line per figure is appended to it (name, value, unit, whether higher or lower is better).
 * Without it, nothing happens: the bench's printed output stays what it was.
 */
export function record(name: string, value: number, unit: string, better: 'higher' | 'lower'): void {
  const file = process.env.ASSAY_BENCH_JSON;
  if (!file || !Number.isFinite(value)) return;
  appendFileSync(file, `${JSON.stringify({ name, value, unit, better })}\n`);
}
