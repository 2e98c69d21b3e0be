import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger, Spool, spoolDir } from '@assay/kit/operations';
import { createTestDatabase } from '@assay/kit/testing';
import pg from 'pg';
import { assay } from '../../services/cli/test/support.ts';

// assay spool (npm run spool), for real: records spooled by a "crashed" scoring process, listed, dry-run, replayed.

let dataDir: string;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'assay-spool-cli-'));
  db = await createTestDatabase();
  const spool = new Spool(spoolDir(dataDir, 'scoring'), createLogger('test', 'silent'));
  await spool.open();
  for (const key of ['a', 'b']) {
    await spool.append({
      id: `id-${key}`,
      write: 'kit.dead_letter',
      key: `test.write:${key}`,
      payload: {
        // One letter names its tenant; the other was spooled before dead letters had tenants.
        ...(key === 'a' ? { tenant: { tenantId: 'acme' } } : {}),
        write: 'test.write',
        key,
        payload: { secret: `payload-${key}` },
        errorClass: 'permanent',
        errorCode: '23514',
        errorMessage: 'violates check constraint',
        retryCount: 0,
      },
      spooledAt: '2026-11-23T00:00:00.000Z',
      reason: 'ECONNREFUSED',
    });
  }
  await spool.append({
    id: 'id-x',
    write: 'nobody.knows',
    key: 'x',
    payload: {},
    spooledAt: '',
    reason: 'X',
  });
  await spool.close();
});
after(async () => {
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Through `assay spool`, which `npm run spool` is an alias of. */
async function spool(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { code, stdout, stderr } = await assay(['spool', ...args], {
    ASSAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...env,
  });
  return { code, output: stdout + stderr };
}

test('lists spooled records by write, keys only, never payloads', async () => {
  const { code, output } = await spool(['list', '--records']);
  assert.equal(code, 0, output);
  assert.match(output, /scoring: 3 records in 1 segments/);
  assert.match(output, /kit\.dead_letter: 2 .*reasons ECONNREFUSED/);
  assert.match(output, /id-a\s+kit\.dead_letter\s+test\.write:a/);
  assert.match(output, /review: empty/);
  assert.doesNotMatch(output, /payload-a/);
});

test('a dry run says what it would replay and writes nothing', async () => {
  const { code, output } = await spool(['replay', '--service', 'scoring', '--dry-run']);
  assert.equal(code, 0, output);
  assert.match(output, /not registered by scoring \(would be dead-lettered\): nobody\.knows/);
  assert.match(output, /dry run: would replay 3 records; nothing written/);
  assert.match((await spool(['list', '--service', 'scoring'])).output, /scoring: 3 records/);
});

test('replays into the database, then the spool is empty', async () => {
  const { code, output } = await spool(['replay', '--service', 'scoring'], { DATABASE_URL: db.url });
  assert.equal(code, 0, output);
  assert.match(output, /replayed 3; 0 left/);
  assert.match((await spool(['list', '--service', 'scoring'])).output, /scoring: empty/);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const { rows } = await client.query(
    'select tenant_id, write, idempotency_key, payload from scoring.dead_letter order by idempotency_key',
  );
  await client.end();
  // The two dead letters as spooled, and the record no write knows, dead-lettered itself.
  assert.deepEqual(
    rows.map((r) => [r.tenant_id, r.write, r.idempotency_key]),
    [
      ['acme', 'test.write', 'a'],
      ['default', 'test.write', 'b'],
      ['default', 'nobody.knows', 'x'],
    ],
  );
  assert.deepEqual(rows[0].payload, { secret: 'payload-a' });
});

test('rejects an unknown command or service with usage', async () => {
  const { code, output } = await spool(['replay', '--service', 'nope']);
  assert.equal(code, 4, 'a usage error, as everywhere in assay');
  assert.match(output, /unknown service nope[\s\S]*usage: assay spool/);
});
