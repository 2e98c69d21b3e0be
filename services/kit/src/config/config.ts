import { z } from 'zod';
import { type VariableName, variables } from './variables.ts';

/** Thrown with every problem at once; `main` prints `message` as one line and exits. */
export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

type Parsed<N extends VariableName> = {
  [K in N]: (typeof variables)[K] extends { default: string }
    ? z.output<(typeof variables)[K]['schema']>
    : z.output<(typeof variables)[K]['schema']> | undefined;
};

const known = new Set(Object.keys(variables));

function closest(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = levenshtein(name, candidate);
    if (distance <= 3 && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/**
 * Parses the named variables. Reports every malformed value and every unknown `ASSAY_*` variable
 * (a typo that would otherwise be silently ignored), all in one error.
 */
export function loadConfig<N extends VariableName>(
  names: readonly N[],
  env: NodeJS.ProcessEnv = process.env,
): Parsed<N> {
  const problems: string[] = [];
  for (const name of Object.keys(env)) {
    if (name.startsWith('ASSAY_') && !known.has(name)) {
      const hint = closest(name);
      problems.push(`${name} is not a known variable${hint ? ` (did you mean ${hint}?)` : ''}`);
    }
  }
  const result: Record<string, unknown> = {};
  for (const name of names) {
    const variable: { schema: z.ZodType; default?: string } = variables[name];
    const raw = env[name] === '' ? undefined : (env[name] ?? variable.default);
    if (raw === undefined) continue;
    const parsed = variable.schema.safeParse(raw);
    if (parsed.success) result[name] = parsed.data;
    else {
      const shown = name.includes('KEY') || name.includes('URL') ? '' : ` (got "${raw}")`;
      problems.push(`${name} ${parsed.error.issues.map((i) => i.message).join(', ')}${shown}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result as Parsed<N>;
}
