import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Query, Resolver } from 'type-graphql';
import { buildSubgraph } from '../src/graphql/subgraph.ts';
import { appModule, startAppService } from './support/app-service.ts';

// `/readyz` says ready only once the app's background work has started (its job workers, say), not
// as soon as its database is migrated: a load balancer must not send work a replica cannot do yet.

@Resolver()
class HelloResolver {
  @Query(() => String)
  hello(): string {
    return 'hello';
  }
}

test('/readyz stays 503 ("starting") until the app has started its background work', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const { service, stop } = await startAppService(
    appModule('readiness', async () => ({
      schema: await buildSubgraph({ resolvers: [new HelloResolver()] }),
      start: () => gate,
    })),
  );
  try {
    const readyz = service.url.replace('/graphql', '/readyz');
    const check = async () => {
      const response = await fetch(readyz);
      return {
        status: response.status,
        checks: ((await response.json()) as { checks: Record<string, unknown> }).checks,
      };
    };
    // Migrated (the database check passes) while start() is still held.
    let seen = await check();
    for (let i = 0; i < 200 && !(seen.checks.database as { ok: boolean }).ok; i++) {
      await sleep(25);
      seen = await check();
    }
    const database = seen.checks.database as { ok: boolean; detail: { latencyMs: number } };
    assert.equal(database.ok, true);
    assert.ok(database.detail.latencyMs >= 0, 'the round trip to the database is reported');
    assert.equal(seen.status, 503);
    assert.deepEqual(seen.checks.app, { ok: false, detail: 'starting' });

    release();
    await service.ready;
    const after = await check();
    assert.equal(after.status, 200);
    assert.deepEqual(after.checks.app, { ok: true });
  } finally {
    release();
    await stop();
  }
});
