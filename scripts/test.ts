// npm test: every test file under services/*/test and scripts/test, run by Node's test runner
// (files in parallel, each in its own process) against a real PostgreSQL: DATABASE_URL when set,
// otherwise an embedded server started here in a temporary directory and removed afterwards.
// Extra arguments are passed to the runner, e.g. `npm test -- --test-name-pattern=idempotent`;
// test file paths among them replace the full list, e.g. `npm test -- services/kit/test/config.test.ts`.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { EmbeddedPostgres } from '@assay/kit/operations';
import { freePort } from '@assay/kit/testing';

const ROOT = join(import.meta.dirname, '..');

async function testFiles(): Promise<string[]> {
  const dirs = [join(ROOT, 'scripts', 'test')];
  for (const service of await readdir(join(ROOT, 'services')))
    dirs.push(join(ROOT, 'services', service, 'test'));
  const files: string[] = [];
  for (const dir of dirs) {
    const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
    for (const entry of entries) if (entry.endsWith('.test.ts')) files.push(relative(ROOT, join(dir, entry)));
  }
  return files.sort();
}

let database: EmbeddedPostgres | undefined;
let dataDir: string | undefined;
let adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  dataDir = await mkdtemp(join(tmpdir(), 'assay-test-'));
  await chmod(dataDir, 0o755); // as root, the server runs as the postgres user, which must reach it
  database = new EmbeddedPostgres({ dataDir: join(dataDir, 'pg'), port: await freePort() });
  await database.initialise();
  await database.start();
  adminUrl = database.url;
}

const args = process.argv.slice(2);
const chosen = args.filter((a) => a.endsWith('.test.ts'));
const files = chosen.length > 0 ? chosen : await testFiles();
const runner = spawn(
  process.execPath,
  [
    '--import',
    join(ROOT, 'services', 'kit', 'register.mjs'),
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    ...args.filter((a) => !a.endsWith('.test.ts')),
    ...files,
  ],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, TEST_DATABASE_URL: adminUrl, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
);
const cleanUp = async () => {
  await database?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
};
process.on('SIGINT', () => runner.kill('SIGINT'));
process.on('SIGTERM', () => runner.kill('SIGTERM'));
const code = await new Promise<number>((resolve) => runner.once('exit', (c) => resolve(c ?? 1)));
await cleanUp();
process.exit(code);
