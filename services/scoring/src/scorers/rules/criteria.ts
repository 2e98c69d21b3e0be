/**
 * The criteria, each scored 0–10 by a fixed table so that a score can be explained in one line.
 * Lockfiles and build output are left out of size, spread and tests: nobody reviews them line by line.
 */

import type { DiffFile } from '../parse-diff.ts';
import type { CriterionScore, Violation, ViolationSeverity } from '../scorer.ts';
import { directoryOf, isBuildOutput, isLockfile, isTestFile, languageOf } from './classify.ts';

export const WEIGHTS = {
  change_size: 0.15,
  spread: 0.1,
  tests: 0.3,
  risky_additions: 0.35,
  generated_files: 0.1,
} as const;

export type CriterionName = keyof typeof WEIGHTS;

/** Points a finding takes off its criterion; one critical finding empties it. */
export const PENALTY: Record<ViolationSeverity, number> = {
  CRITICAL: 10,
  HIGH: 5,
  MEDIUM: 2,
  LOW: 1,
  INFO: 0,
};

/** `[limit, score]` rows, ascending: the score of the first row whose limit is not exceeded, else 0. */
type Table = readonly (readonly [number, number])[];
const LINES: Table = [
  [100, 10],
  [250, 8],
  [500, 6],
  [1000, 4],
  [2000, 2],
];
const FILES: Table = [
  [5, 10],
  [10, 8],
  [20, 6],
  [40, 4],
  [80, 2],
];
const DIRECTORIES: Table = [
  [3, 10],
  [6, 8],
  [12, 6],
  [24, 4],
  [48, 2],
];
/** Test lines added per source line added: `[minimum ratio, score]`, descending; any test at all earns 4. */
const TEST_RATIO: Table = [
  [0.5, 10],
  [0.25, 8],
  [0.1, 6],
];

const upTo = (table: Table, value: number) => table.find(([limit]) => value <= limit)?.[1] ?? 0;
const atLeast = (table: Table, value: number, otherwise: number) =>
  table.find(([minimum]) => value >= minimum)?.[1] ?? otherwise;

// Binary files need no filter: the parser gives them no lines.
const handwritten = (f: DiffFile) => !isBuildOutput(f.path) && !isLockfile(f.path);
const touched = (f: DiffFile) => f.added.length + f.removed;
const sum = (files: readonly DiffFile[], count: (f: DiffFile) => number) =>
  files.reduce((total, f) => total + count(f), 0);
const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

function criterion(name: CriterionName, score: number, detail: string): CriterionScore {
  return { criterion: name, score, weight: WEIGHTS[name], detail };
}

export function changeSize(files: readonly DiffFile[]): CriterionScore {
  const lines = sum(files.filter(handwritten), touched);
  const score = upTo(LINES, lines);
  const verdict =
    score === 10 ? 'small enough to review in one sitting' : 'split it into changes under 100 lines';
  return criterion(
    'change_size',
    score,
    `${plural(lines, 'line')} changed outside generated files: ${verdict}.`,
  );
}

export function spread(files: readonly DiffFile[]): CriterionScore {
  const paths = files.filter(handwritten).map((f) => f.path);
  const directories = new Set(paths.map(directoryOf)).size;
  const score = Math.min(upTo(FILES, paths.length), upTo(DIRECTORIES, directories));
  const verdict = score === 10 ? 'focused' : 'keep unrelated changes in separate pull requests';
  return criterion(
    'spread',
    score,
    `${plural(paths.length, 'file')} in ${plural(directories, 'directory', 'directories')}: ${verdict}.`,
  );
}

export function tests(files: readonly DiffFile[]): CriterionScore {
  const reviewed = files.filter(handwritten);
  const testLines = sum(reviewed, (f) => (isTestFile(f.path) ? f.added.length : 0));
  const codeLines = sum(reviewed, (f) =>
    !isTestFile(f.path) && languageOf(f.path) !== null ? f.added.length : 0,
  );
  if (codeLines === 0) return criterion('tests', 10, 'No source code added, so no tests are expected.');
  const score = testLines === 0 ? 0 : atLeast(TEST_RATIO, testLines / codeLines, 4);
  const detail =
    testLines === 0
      ? `${plural(codeLines, 'line')} of source code added and no test lines: add tests that cover the change.`
      : `${plural(testLines, 'test line')} added for ${plural(codeLines, 'source line')}: ${
          score === 10 ? 'well covered' : 'cover more of the change with tests'
        }.`;
  return criterion('tests', score, detail);
}

export function riskyAdditions(violations: readonly Violation[]): CriterionScore {
  const score = penalised(violations);
  const detail =
    violations.length === 0
      ? 'No secrets, disabled checks, debug statements or TODOs added.'
      : `${summarise(violations)} in added lines: resolve or justify each before merging.`;
  return criterion('risky_additions', score, detail);
}

export function generatedFiles(violations: readonly Violation[]): CriterionScore {
  const score = penalised(violations);
  const detail =
    violations.length === 0
      ? 'No build output or binary files changed.'
      : violations[0]!.rule === 'lockfile_only'
        ? 'Only lockfiles changed: check which dependencies moved and why.'
        : `${summarise(violations)} about generated or binary files: keep build output out of the pull request.`;
  return criterion('generated_files', score, detail);
}

const penalised = (violations: readonly Violation[]) =>
  Math.max(0, 10 - violations.reduce((total, v) => total + PENALTY[v.severity], 0));

/** e.g. `3 findings (1 critical, 2 low)`. */
function summarise(violations: readonly Violation[]): string {
  const counts = (Object.keys(PENALTY) as ViolationSeverity[])
    .map((severity) => [severity, violations.filter((v) => v.severity === severity).length] as const)
    .filter(([, n]) => n > 0)
    .map(([severity, n]) => `${n} ${severity.toLowerCase()}`);
  return `${plural(violations.length, 'finding')} (${counts.join(', ')})`;
}
