import type { DiffFile } from '../parse-diff.ts';
import type { CriterionScore, Violation } from '../scorer.ts';
import { changeSize, generatedFiles, riskyAdditions, spread, tests } from './criteria.ts';
import { fileViolations, lineViolations } from './findings.ts';

/** Violations of one rule in one file beyond this are summed up in one entry: the list stays readable. */
export const MAX_REPORTED_PER_FILE_AND_RULE = 10;

export interface RulesOutcome {
  criteria: CriterionScore[];
  violations: Violation[];
}

/** Scores every criterion from all findings; reports them ordered by file, line and rule. */
export function applyRules(files: readonly DiffFile[]): RulesOutcome {
  const added = lineViolations(files);
  const whole = fileViolations(files);
  return {
    criteria: [changeSize(files), spread(files), tests(files), riskyAdditions(added), generatedFiles(whole)],
    violations: capped([...added, ...whole].sort(byFileLineRule)),
  };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// Code-unit order, not localeCompare: the order must not depend on the host's locale.
// Whole-file findings and summaries (no line) come after a file's line findings.
function byFileLineRule(a: Violation, b: Violation): number {
  const line = (v: Violation) => v.line ?? Number.MAX_SAFE_INTEGER;
  return compare(a.file, b.file) || line(a) - line(b) || compare(a.rule, b.rule);
}

/** Expects sorted input; keeps the first findings of each file and rule and counts the rest. */
function capped(sorted: readonly Violation[]): Violation[] {
  const seen = new Map<string, number>();
  const kept: Violation[] = [];
  const overflow = new Map<string, Violation & { count: number }>();
  for (const v of sorted) {
    const key = `${v.file}\0${v.rule}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if (n <= MAX_REPORTED_PER_FILE_AND_RULE) kept.push(v);
    else {
      const more = overflow.get(key);
      if (more) more.count++;
      else overflow.set(key, { ...v, line: null, count: 1 });
    }
  }
  for (const { count, ...v } of overflow.values()) {
    kept.push({ ...v, message: `${count} more ${v.rule} findings in this file` });
  }
  return kept.sort(byFileLineRule);
}
