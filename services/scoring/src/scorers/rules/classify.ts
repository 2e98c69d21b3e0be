/** What a path is, by convention only: the rules never see file contents beyond the diff. */
export type Language = 'js' | 'python' | 'go' | 'ruby' | 'other';

const LANGUAGES: Record<string, Language> = {
  js: 'js',
  jsx: 'js',
  mjs: 'js',
  cjs: 'js',
  ts: 'js',
  tsx: 'js',
  mts: 'js',
  cts: 'js',
  vue: 'js',
  svelte: 'js',
  py: 'python',
  pyi: 'python',
  go: 'go',
  rb: 'ruby',
  java: 'other',
  kt: 'other',
  scala: 'other',
  rs: 'other',
  c: 'other',
  h: 'other',
  cc: 'other',
  cpp: 'other',
  hpp: 'other',
  cs: 'other',
  swift: 'other',
  php: 'other',
  dart: 'other',
  ex: 'other',
  exs: 'other',
};

const LOCKFILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
  'Cargo.lock',
  'Gemfile.lock',
  'poetry.lock',
  'Pipfile.lock',
  'uv.lock',
  'composer.lock',
  'go.sum',
  'mix.lock',
  'pubspec.lock',
  'Podfile.lock',
  'flake.lock',
  'packages.lock.json',
  'gradle.lockfile',
]);

const TEST_DIR = /(?:^|\/)(?:test|tests|__tests__)\//;
const TEST_NAME = /\.(?:test|spec)\.[^/]+$|_test\.go$|(?:^|\/)test_[^/]*\.py$|_test\.py$/;
const GENERATED_DIR = /(?:^|\/)(?:dist|node_modules)\//;
const GENERATED_NAME = /\.min\.(?:js|css)$|\.generated\.[^/]+$|_pb2(?:_grpc)?\.py$|\.pb\.go$|\.js\.map$/;

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The language of a source file, or null when the path is not source code (docs, config, data). */
export function languageOf(path: string): Language | null {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? (LANGUAGES[name.slice(dot + 1).toLowerCase()] ?? null) : null;
}

export const isTestFile = (path: string) => TEST_DIR.test(path) || TEST_NAME.test(path);
export const isLockfile = (path: string) => LOCKFILES.has(baseName(path));
/** Build output and code generators' output: reviewed by regenerating, not by reading. */
export const isBuildOutput = (path: string) => GENERATED_DIR.test(path) || GENERATED_NAME.test(path);

export const directoryOf = (path: string) => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '.' : path.slice(0, slash);
};
