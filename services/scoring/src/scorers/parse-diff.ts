import { BadUserInputError } from '@assay/kit';
/**
 * A forgiving parser for `git diff` output (plain `diff -u` output works too). It never throws:
 * lines it does not recognise are skipped, and hunk line counts decide where a hunk ends, so an
 * added line that reads `+++ x` or `diff --git` is still content, not a header.
 */
export type FileStatus = 'added' | 'modified' | 'deleted' | 'renamed';

export interface AddedLine {
  /** 1-based line number in the new file. */
  line: number;
  text: string;
}

export interface DiffFile {
  /** The new path; the old one for a deleted file. */
  path: string;
  /** The path before a rename, else null. */
  oldPath: string | null;
  status: FileStatus;
  binary: boolean;
  added: AddedLine[];
  removed: number;
}

const HUNK_HEADER = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const NULL_PATH = '/dev/null';

interface Draft {
  headerPath: string | null;
  oldPath: string | null;
  newPath: string | null;
  renameFrom: string | null;
  renameTo: string | null;
  created: boolean;
  deleted: boolean;
  binary: boolean;
  hasHunks: boolean;
  added: AddedLine[];
  removed: number;
}

const draft = (headerPath: string | null): Draft => ({
  headerPath,
  oldPath: null,
  newPath: null,
  renameFrom: null,
  renameTo: null,
  created: false,
  deleted: false,
  binary: false,
  hasHunks: false,
  added: [],
  removed: 0,
});

/**
 * Whether the text has a file header the parser opens a file on (`diff --git`, or a `---`/`+++`
 * pair): a cheap check, one pass of a regular expression, for rejecting what is not a diff at once.
 */
export function hasFileHeader(text: string): boolean {
  return /^diff --git |^--- [^\n]*\n\+\+\+ /m.test(text);
}

export function parseDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  const lines = text.split('\n');
  let current: Draft | null = null;
  // Lines still expected in the open hunk; both zero means no hunk is open.
  let oldLeft = 0;
  let newLeft = 0;
  let newLine = 0;

  const close = () => {
    const file = current && finish(current);
    if (file) files.push(file);
    current = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = stripCr(lines[i]!);

    if (current && (oldLeft > 0 || newLeft > 0)) {
      const kind = line[0];
      if (kind === '+' && newLeft > 0) {
        current.added.push({ line: newLine++, text: line.slice(1) });
        newLeft--;
        continue;
      }
      if (kind === '-' && oldLeft > 0) {
        current.removed++;
        oldLeft--;
        continue;
      }
      // Some tools strip the single space of an empty context line.
      if ((kind === ' ' || line === '') && oldLeft > 0 && newLeft > 0) {
        newLine++;
        oldLeft--;
        newLeft--;
        continue;
      }
      if (kind === '\\') continue; // "\ No newline at end of file"
      // The counts did not add up (truncated or hand-edited diff): read the line as a header.
      oldLeft = 0;
      newLeft = 0;
    }
    if (current && line.startsWith('\\')) continue; // the marker after a hunk's last line

    if (line.startsWith('diff --git ')) {
      close();
      current = draft(gitHeaderPath(line.slice('diff --git '.length)));
      continue;
    }
    // A plain unified diff has no `diff --git` line: a `---`/`+++` pair opens the file.
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ') && (!current || current.hasHunks)) {
      close();
      current = draft(null);
    }
    if (!current) continue;

    const hunk = HUNK_HEADER.exec(line);
    if (hunk) {
      current.hasHunks = true;
      oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      newLeft = hunk[3] === undefined ? 1 : Number(hunk[3]);
      newLine = Number(hunk[2]);
    } else if (line.startsWith('--- ')) {
      current.oldPath = headerFilePath(line.slice(4), 'a/');
    } else if (line.startsWith('+++ ')) {
      current.newPath = headerFilePath(line.slice(4), 'b/');
    } else if (line.startsWith('new file mode')) {
      current.created = true;
    } else if (line.startsWith('deleted file mode')) {
      current.deleted = true;
    } else if (line.startsWith('rename from ')) {
      current.renameFrom = unquote(line.slice('rename from '.length));
    } else if (line.startsWith('rename to ')) {
      current.renameTo = unquote(line.slice('rename to '.length));
    } else if (line.startsWith('copy to ')) {
      // A copy creates a new file; the source is untouched.
      current.newPath = unquote(line.slice('copy to '.length));
      current.created = true;
    } else if (
      line === 'GIT binary patch' ||
      (line.startsWith('Binary files ') && line.endsWith(' differ'))
    ) {
      current.binary = true;
      readBinaryPaths(current, line);
    }
  }
  close();
  return files;
}

function finish(d: Draft): DiffFile | null {
  const created = d.created || d.oldPath === NULL_PATH;
  const deleted = d.deleted || d.newPath === NULL_PATH;
  const newPath = d.renameTo ?? usable(d.newPath) ?? d.headerPath;
  const oldPath = d.renameFrom ?? usable(d.oldPath) ?? d.headerPath;
  const path = deleted ? oldPath : newPath;
  if (!path) return null;
  // Only git's rename lines say rename: differing `---`/`+++` names are normal in a plain diff.
  const renamed = !created && !deleted && d.renameFrom !== null && d.renameFrom !== newPath;
  return {
    path,
    oldPath: renamed ? d.renameFrom : null,
    status: created ? 'added' : deleted ? 'deleted' : renamed ? 'renamed' : 'modified',
    binary: d.binary,
    added: d.added,
    removed: d.removed,
  };
}

const usable = (path: string | null) => (path === NULL_PATH ? null : path);
const stripCr = (line: string) => (line.endsWith('\r') ? line.slice(0, -1) : line);

/**
 * `a/x b/x` is ambiguous when paths contain spaces; when both sides name the same file (everything
 * but renames) the halves are equal, which settles it. Renames get their paths from later lines.
 */
function gitHeaderPath(rest: string): string | null {
  if (rest.startsWith('"')) {
    const end = closingQuote(rest);
    return end > 0 ? stripPrefix(unquote(rest.slice(0, end + 1)), 'a/') : null;
  }
  const mid = (rest.length - 1) / 2;
  if (Number.isInteger(mid) && rest[mid] === ' ') {
    const left = rest.slice(0, mid);
    const right = rest.slice(mid + 1);
    if (left === right) return left;
    if (left.slice(2) === right.slice(2) && left[1] === '/' && right[1] === '/') return left.slice(2);
  }
  const split = rest.indexOf(' b/');
  return split > 0 ? stripPrefix(rest.slice(0, split), 'a/') : null;
}

/** `--- a/x` or `+++ b/x`, possibly quoted, possibly with a tab and a timestamp (plain diff). */
function headerFilePath(value: string, prefix: string): string {
  if (value.startsWith('"')) return stripPrefix(unquote(value), prefix);
  const tab = value.indexOf('\t');
  const path = tab >= 0 ? value.slice(0, tab) : value.trimEnd();
  return path === NULL_PATH ? path : stripPrefix(path, prefix);
}

/** `Binary files a/x and b/y differ`: the only place a binary-only change names its files. */
function readBinaryPaths(d: Draft, line: string): void {
  if (!line.startsWith('Binary files ')) return;
  const body = line.slice('Binary files '.length, -' differ'.length);
  const and = body.indexOf(' and ');
  if (and < 0) return;
  d.oldPath ??= headerFilePath(body.slice(0, and), 'a/');
  d.newPath ??= headerFilePath(body.slice(and + 5), 'b/');
}

const stripPrefix = (path: string, prefix: string) =>
  path.startsWith(prefix) ? path.slice(prefix.length) : path;

function closingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11 };

/** Git C-quotes paths with unusual characters, writing non-ASCII bytes as octal escapes. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  const end = closingQuote(value);
  const body = value.slice(1, end < 0 ? undefined : end);
  const parts: Buffer[] = [];
  let last = 0;
  for (const match of body.matchAll(/\\([0-7]{3}|.)/gs)) {
    const escaped = match[1]!;
    const code = escaped.length === 3 ? Number.parseInt(escaped, 8) : ESCAPES[escaped];
    parts.push(Buffer.from(body.slice(last, match.index), 'utf8'));
    parts.push(code === undefined ? Buffer.from(escaped, 'utf8') : Buffer.of(code));
    last = match.index + match[0].length;
  }
  parts.push(Buffer.from(body.slice(last), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

/** The diff names no file: retrying cannot help, the client has to send a real diff. */
export class InvalidDiffError extends BadUserInputError {
  constructor() {
    super('subject.diff contains no recognisable file change; send unified diff output such as `git diff`');
  }
}
