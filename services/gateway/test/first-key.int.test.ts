import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, freePort, runScript } from '@assay/kit/testing';
import { AccessStore } from '../src/access/access-store.ts';
import { hashMatches } from '../src/access/api-key.ts';

// services/gateway/src/first-key.ts, the entry point of docker-compose.yml's `gateway-key` one-shot,
// run as the container runs it: a key is made and printed once, a second run reuses it, a failure is
// one line and a non-zero exit.

const ENTRY = 'services/gateway/src/first-key.ts';

async function run(env: NodeJS.ProcessEnv) {
  const started = runScript(ENTRY, env);
  const { code } = await started.exited;
  return { code, output: started.output() };
}

describe('first-key: the first API key of a container stack', { timeout: 60_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: AccessStore;
  const dataDir = mkdtempSync(join(tmpdir(), 'assay-first-key-'));
  const keyFile = join(dataDir, 'dev-api-key');

  before(async () => {
    database = await createTestDatabase();
    store = new AccessStore(database.url, 1);
  });
  after(async () => {
    await store.close();
    await database.drop();
  });

  it('migrates the access schema, makes a read/write/admin key for `default` and prints it once', async () => {
    const { code, output } = await run({ DATABASE_URL: database.url, ASSAY_DATA_DIR: dataDir });
    assert.equal(code, 0, output);
    const match = /^API key: (assay_\S+) \(shown once; kept in (\S+)\)\n$/.exec(output);
    assert.ok(match, `one line, nothing else: ${JSON.stringify(output)}`);
    const [, key, path] = match;
    assert.equal(path, keyFile);
    assert.equal(readFileSync(keyFile, 'utf8').trim(), key);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const keys = await store.list();
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.tenant, 'default');
    assert.deepEqual([...keys[0]!.scopes].sort(), ['admin', 'read', 'write']);
    assert.ok(hashMatches(key!, keys[0]!.hash));
    assert.equal(await store.countUsable(), 1);
  });

  it('run again (the next `docker compose up`), it keeps the key and prints only where it is', async () => {
    const kept = readFileSync(keyFile, 'utf8');
    const { code, output } = await run({ DATABASE_URL: database.url, ASSAY_DATA_DIR: dataDir });
    assert.equal(code, 0, output);
    assert.equal(output, `API key: in ${keyFile}\n`);
    assert.equal(readFileSync(keyFile, 'utf8'), kept);
    assert.equal((await store.list()).length, 1);
  });

  it('without a database it fails in one line, naming no credential', async () => {
    const missing = await run({ DATABASE_URL: '', ASSAY_DATA_DIR: dataDir });
    assert.equal(missing.code, 1);
    assert.match(missing.output, /^first-key: DATABASE_URL is required[^\n]*\n$/);

    const password = 'not-a-real-password-42';
    const unreachable = await run({
      DATABASE_URL: `postgres://assay:${password}@127.0.0.1:${await freePort()}/assay`,
      ASSAY_DATA_DIR: dataDir,
    });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.output, /^first-key: no API key: [^\n]+\n$/);
    assert.ok(!unreachable.output.includes(password), unreachable.output);
  });
});
