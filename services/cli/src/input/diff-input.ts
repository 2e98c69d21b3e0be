import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UsageError } from '../exit-codes.ts';

export interface DiffSource {
  diffFile?: string;
  git?: string;
}

/**
 * The diff to score, from exactly one place: `--diff-file F` (`-` for stdin), `--git BASE..HEAD`
 * (run as `git diff` in the working directory), or stdin when it is not a terminal.
 */
export function readDiff(source: DiffSource, stdin: NodeJS.ReadStream = process.stdin): string {
  const given = [source.diffFile !== undefined, source.git !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError('give the diff one way: --diff-file or --git, not both');
  let diff: string;
  if (source.git !== undefined) diff = gitDiff(source.git);
  else if (source.diffFile !== undefined && source.diffFile !== '-') diff = readFile(source.diffFile);
  else if (source.diffFile === '-' || !stdin.isTTY) diff = readFileSync(0, 'utf8');
  else throw new UsageError('no diff: pass --diff-file F, --git BASE..HEAD, or pipe it on stdin');
  if (diff.trim() === '') throw new UsageError('the diff is empty');
  return diff;
}

function readFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the diff file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
}

function gitDiff(range: string): string {
  // A range, never an option: `--output=…` and friends must not reach git.
  if (!/^[\w./@^~-]+(\.\.\.?[\w./@^~-]+)?$/.test(range) || range.startsWith('-')) {
    throw new UsageError(`--git takes a range such as origin/main..HEAD, got "${range}"`);
  }
  const result = spawnSync('git', ['diff', '--no-color', '--no-ext-diff', range, '--'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new UsageError(`cannot run git: ${result.error.message}`);
  if (result.status !== 0)
    throw new UsageError(`git diff ${range} failed: ${result.stderr.trim().split('\n')[0]}`);
  return result.stdout;
}

/**
 * The idempotency key a CI job gets by default: the same repository, pull request and diff always
 * give the same key, so a re-run job returns the run it started the first time instead of scoring again.
 */
export function defaultIdempotencyKey(
  repository: string,
  prNumber: number | undefined,
  diff: string,
): string {
  const diffHash = createHash('sha256').update(diff).digest('hex');
  const key = createHash('sha256')
    .update(`${repository}\n${prNumber ?? ''}\n${diffHash}`)
    .digest('hex');
  return `assay-cli:${key}`;
}
