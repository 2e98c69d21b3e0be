import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createTestDatabase,
  credentialsFor,
  gql,
  PgFaultProxy,
  runScript,
  type Started,
  systemPorts,
} from '@assay/kit/testing';
import { ACCESS_APPLICATION_NAME, AccessStore } from '../src/access/access-store.ts';

// The database away must not lock out callers the gateway already knows: writes are accepted and
// spooled by the subgraphs during an outage, so the gateway keeps authenticating known keys from
// its cache (stale) while it cannot read them, and says 503 (retry), not 401, for one it has
// never seen.

const CACHE_MS = 200;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let proxy: PgFaultProxy;
let system: Started;
let url: string;
let unseen: string;

before(async () => {
  database = await createTestDatabase();
  const target = new URL(database.url);
  proxy = await PgFaultProxy.start({ host: target.hostname, port: Number(target.port) });
  system = runScript('scripts/start.ts', {
    DATABASE_URL: proxy.urlFor(database.url),
    ASSAY_API_KEY_CACHE_MS: String(CACHE_MS),
    ...(await systemPorts()),
  });
  url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
  const store = new AccessStore(database.url);
  unseen = (
    await store.create(
      { tenant: 'default', name: 'unseen', scopes: ['read'], expiresAt: null },
      { tenant: 'default', subject: 'operator:test' },
    )
  ).key;
  await store.close();
});
after(async () => {
  if (system && system.child.exitCode === null) system.child.kill('SIGTERM');
  await system?.exited;
  await proxy?.close();
  await database?.drop();
});

test('with the access store away, a known key still works and an unseen one is 503, not 401', {
  timeout: 60_000,
}, async () => {
  const known = credentialsFor(url);
  assert.equal((await gql(url, '{ __typename }', {}, known)).status, 200);

  proxy.refuse((name) => name === ACCESS_APPLICATION_NAME);
  try {
    await sleep(CACHE_MS * 3); // the cached row is stale now: a lookup would be due
    const during = await gql(url, '{ __typename }', {}, known);
    assert.equal(during.status, 200, JSON.stringify(during));
    const refused = await gql(url, '{ __typename }', {}, { authorization: `Bearer ${unseen}` });
    assert.equal(refused.status, 503, JSON.stringify(refused));
    assert.equal(refused.errors?.[0]?.extensions?.code, 'SERVICE_UNAVAILABLE');
  } finally {
    proxy.allow();
  }
  let status = 503;
  for (let i = 0; i < 100 && status !== 200; i++) {
    await sleep(50);
    status = (await gql(url, '{ __typename }', {}, { authorization: `Bearer ${unseen}` })).status;
  }
  assert.equal(status, 200, 'once the store is back, the unseen key is looked up and works');
});
