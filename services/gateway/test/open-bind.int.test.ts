import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, freePort, runScript } from '@assay/kit/testing';
import { AccessStore } from '../src/access/access-store.ts';

// The gateway process on a non-loopback address (ASSAY_HOST=0.0.0.0): with no key anyone could use
// and no ASSAY_JWKS_URL it refuses to start, in one line; a usable key lets it listen.

const ENTRY = 'services/gateway/src/main.ts';
const ADMIN = { tenant: 'default', subject: 'operator:test' };

describe('the gateway on an open address', { timeout: 60_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: AccessStore;
  const gateway = async () =>
    runScript(ENTRY, {
      DATABASE_URL: database.url,
      ASSAY_HOST: '0.0.0.0',
      ASSAY_GATEWAY_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });

  before(async () => {
    database = await createTestDatabase();
    store = new AccessStore(database.url, 1);
  });
  after(async () => {
    await store.close();
    await database.drop();
  });

  it('no key, or only a revoked or expired one: refuses to start, in one line', async () => {
    const refusals: string[] = [];
    const attempt = async () => {
      const started = await gateway();
      // A gateway that listens after all must fail the test, not leave it waiting for an exit.
      const outcome = await Promise.race([
        started.exited.then(({ code }) => code),
        started.waitFor(/gateway ready/, 20_000).then(
          () => 'listening' as const,
          () => 'no answer' as const,
        ),
      ]);
      if (outcome === 'listening') {
        started.child.kill('SIGTERM');
        await started.exited;
      }
      assert.equal(outcome, 2, started.output());
      const line = started.output().match(/^gateway: .*$/m)?.[0];
      assert.match(
        line ?? started.output(),
        /^gateway: refusing to listen on 0\.0\.0\.0 with no API key and no ASSAY_JWKS_URL/,
      );
      assert.doesNotMatch(started.output(), /gateway ready/);
      refusals.push(line!);
    };
    await attempt();
    const revoked = await store.create(
      { tenant: 'default', name: 'old', scopes: ['read'], expiresAt: null },
      ADMIN,
    );
    await store.revoke(revoked.record.id, ADMIN);
    await store.create(
      { tenant: 'default', name: 'expired', scopes: ['read'], expiresAt: new Date(Date.now() - 60_000) },
      ADMIN,
    );
    await attempt();
    assert.equal(refusals.length, 2);
  });

  it('with a usable key it listens', async () => {
    await store.create({ tenant: 'acme', name: 'ci', scopes: ['read', 'write'], expiresAt: null }, ADMIN);
    const started = await gateway();
    try {
      await started.waitFor(/gateway ready at http:\/\/0\.0\.0\.0:\d+\/graphql/);
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
    }
  });
});
