import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UsageError } from '../exit-codes.ts';

/** The largest diff the CLI sends, in bytes (64 MiB); a larger one is refused before anything is sent. */
export const MAX_DIFF_BYTES = 64 * 1024 * 1024;

const tooLarge = (where: string) =>
  new UsageError(
    `the diff from ${where} is larger than 64 MiB (${MAX_DIFF_BYTES} bytes), the most assay sends; score a smaller range`,
  );

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
  else if (source.diffFile === '-' || !stdin.isTTY) diff = readBounded(0, 'stdin');
  else throw new UsageError('no diff: pass --diff-file F, --git BASE..HEAD, or pipe it on stdin');
  if (diff.trim() === '') throw new UsageError('the diff is empty');
  return diff;
}

function readFile(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new UsageError(
      `cannot read the diff file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
    );
  }
  try {
    // A regular file says its size: refuse a huge one without reading it.
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > MAX_DIFF_BYTES) throw tooLarge(path);
    return readBounded(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** Reads `fd` to its end, but never more than one byte past the limit (stdin may be endless). */
function readBounded(fd: number, where: string): string {
  const chunks: Buffer[] = [];
  let total = 0;
  const chunk = Buffer.alloc(1024 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, chunk, 0, Math.min(chunk.length, MAX_DIFF_BYTES + 1 - total), null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        // A non-blocking pipe with nothing in it yet: wait a moment, synchronously, like readFileSync would.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (code === 'EOF') break;
      throw new UsageError(`cannot read the diff from ${where}: ${code ?? error}`);
    }
    if (n === 0) break;
    chunks.push(Buffer.from(chunk.subarray(0, n)));
    total += n;
    if (total > MAX_DIFF_BYTES) throw tooLarge(where);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function gitDiff(range: string): string {
  // A range, never an option: `--output=…` and friends must not reach git.
  if (!/^[\w./@^~-]+(\.\.\.?[\w./@^~-]+)?$/.test(range) || range.startsWith('-')) {
    throw new UsageError(`--git takes a range such as origin/main..HEAD, got "${range}"`);
  }
  const result = spawnSync('git', ['diff', '--no-color', '--no-ext-diff', range, '--'], {
    encoding: 'utf8',
    maxBuffer: MAX_DIFF_BYTES + 1,
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOBUFS')
    throw tooLarge(`git diff ${range}`);
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
