import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, runScript } from '@assay/kit/testing';
import pg from 'pg';

// `npm run keys` against a real PostgreSQL: a key is printed once and stored only as its hash; list
// never shows it; revoke stops it; bad input is named.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database?.drop();
});

async function keys(args: string[]): Promise<{ code: number | null; stdout: string; output: string }> {
  const run = runScript('scripts/keys.ts', { DATABASE_URL: database.url }, args);
  let stdout = '';
  run.child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  const { code } = await run.exited;
  return { code, stdout, output: run.output() };
}

test('create prints the key once, stores its hash; list and revoke never show it', async () => {
  const created = await keys([
    'create',
    '--tenant',
    'acme',
    '--scopes',
    'read,write',
    '--name',
    'ci',
    '--expires-in-days',
    '30',
  ]);
  assert.equal(created.code, 0, created.output);
  const key = created.stdout.trim();
  // The secret is base64url, which may itself hold '_': split by the pattern, not by '_'.
  const [, prefix, secret] = /^assay_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(key) ?? [];
  assert.ok(secret, `a key of the documented form: ${key.length} characters`);
  assert.match(created.output, /only time the key is shown/);

  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query('select * from access.api_keys');
    assert.equal(rows.length, 1);
    assert.equal(JSON.stringify(rows).includes(secret!), false, 'the database holds no key');
    assert.match(rows[0].hash, /^[0-9a-f]{64}$/);
    assert.equal(rows[0].tenant_id, 'acme');
    assert.ok(rows[0].expires_at > new Date(Date.now() + 29 * 86_400_000));

    const listed = await keys(['list', '--json']);
    assert.equal(listed.code, 0, listed.output);
    const [record] = JSON.parse(listed.stdout);
    assert.deepEqual(
      { prefix: record.prefix, tenant: record.tenant, scopes: record.scopes, name: record.name },
      { prefix, tenant: 'acme', scopes: ['read', 'write'], name: 'ci' },
    );
    assert.equal(listed.output.includes(secret!), false);
    assert.equal('hash' in record, false);

    const revoked = await keys(['revoke', prefix!]);
    assert.equal(revoked.code, 0, revoked.output);
    assert.match((await keys(['list'])).output, /revoked/);
    const audit = await client.query('select action, target, actor from access.audit_log order by at');
    assert.deepEqual(
      audit.rows.map((r) => r.action),
      ['api_key.created', 'api_key.revoked'],
    );
    assert.equal(JSON.stringify(audit.rows).includes(secret!), false);
  } finally {
    await client.end();
  }
});

test('bad input is named and changes nothing', async () => {
  const cases: [string[], RegExp][] = [
    [['create', '--scopes', 'read'], /--tenant is required/],
    [['create', '--tenant', 'Bad Tenant', '--scopes', 'read'], /--tenant is required/],
    [['create', '--tenant', 'acme'], /--scopes is required/],
    [['create', '--tenant', 'acme', '--scopes', 'root'], /scope/],
    [['create', '--tenant', 'acme', '--scopes', 'read', '--expires-in-days', '-3'], /expires/i],
    [['frobnicate'], /unknown command frobnicate/],
  ];
  for (const [args, message] of cases) {
    const result = await keys(args);
    assert.notEqual(result.code, 0, args.join(' '));
    assert.match(result.output, message, args.join(' '));
    assert.equal(result.stdout, '', 'no key printed');
  }
  assert.equal((await keys(['revoke', 'ffffffffffff'])).code, 1);
});
