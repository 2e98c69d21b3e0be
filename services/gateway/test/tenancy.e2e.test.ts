import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, gql, runScript, type Started, systemPorts } from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { AccessStore } from '../src/access/access-store.ts';

// Two tenants through the gateway of the whole system: each sees only its own runs, scores,
// reviews, failures, groups, live events and dead letters, and the other's ids answer as unknown ones.

const DIFF = 'diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-const a = 1;\n+const a = 2;\n';
const SCORE = `mutation($d: String!, $s: ScorerKind!) {
  startScoringRun(input: { subject: { repository: "acme/api", diff: $d }, scorer: $s }) { id } }`;
const RUN = `query($id: ID!) { scoringRun(id: $id) { id status score { band } failures { errorCode } } }`;
const REVIEW = `query($id: ID!) { reviewRun(id: $id) { id status decision { label } } }`;
const LISTS = `{
  scoringRuns(first: 100) { nodes { id } }
  reviewRuns(first: 100) { nodes { id } }
  failures(first: 100) { nodes { id runId } }
  failureGroups(first: 100) { nodes { id count } }
  unpersistedScores { id }
}`;
const FEED = 'subscription { failureRecorded { runId errorCode } }';

type Tenant = 'acme' | 'globex';

describe('two tenants through the gateway', { timeout: 180_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let system: Started;
  let store: AccessStore;
  let url: string;
  const keys = {} as Record<Tenant, string>;
  const made = {} as Record<Tenant, { done: string; failed: string; review: string }>;
  const as = (tenant: Tenant) => ({ authorization: `Bearer ${keys[tenant]}` });
  const ask = (tenant: Tenant, query: string, variables: Record<string, unknown> = {}) =>
    gql(url, query, variables, as(tenant));

  /** A key of `tenant`'s, as `npm run keys -- create` makes it. */
  const createKey = async (tenant: Tenant, name: string, scope: 'write' | 'admin') =>
    (
      await store.create(
        { tenant, name, scopes: [scope], expiresAt: null },
        { tenant, subject: 'operator:test' },
      )
    ).key;

  async function until<T>(what: string, read: () => Promise<T | null | undefined>): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const value = await read();
      if (value) return value;
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  before(async () => {
    database = await createTestDatabase();
    system = runScript('scripts/start.ts', { DATABASE_URL: database.url, ...(await systemPorts()) });
    url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
    store = new AccessStore(database.url);
    for (const tenant of ['acme', 'globex'] as const) {
      keys[tenant] = await createKey(tenant, `${tenant} ci`, 'write');
    }
  });
  after(async () => {
    if (system && system.child.exitCode === null) system.child.kill('SIGTERM');
    await system?.exited;
    await store?.pool.end();
    await database?.drop();
  });

  it('each tenant sees only its own runs, scores, reviews, failures and groups', async () => {
    // acme follows the failure feed while both tenants' runs fail.
    const feed = createClient({
      url: url.replace(/^http/, 'ws'),
      connectionParams: as('acme'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    const delivered: { runId: string }[] = [];
    const live = feed.iterate<{ failureRecorded: { runId: string } }>({ query: FEED });
    const reading = (async () => {
      for await (const result of live) delivered.push(result.data!.failureRecorded);
    })();
    await sleep(300); // subscribed before the failures happen

    for (const tenant of ['acme', 'globex'] as const) {
      const done = (await ask(tenant, SCORE, { d: DIFF, s: 'RULES' })).data!.startScoringRun.id as string;
      // No OPENAI_API_KEY: an LLM run ends in ERROR (SCORER_UNAVAILABLE), a failure of this tenant.
      const failed = (await ask(tenant, SCORE, { d: DIFF, s: 'LLM' })).data!.startScoringRun.id as string;
      const review = (
        await ask(
          tenant,
          `mutation { startReview(input: { idea: "Split the monolith for ${tenant}" }) { id } }`,
        )
      ).data!.startReview.id as string;
      made[tenant] = { done, failed, review };
    }
    for (const tenant of ['acme', 'globex'] as const) {
      const { done, failed, review } = made[tenant];
      await until(
        `${tenant}'s score`,
        async () => (await ask(tenant, RUN, { id: done })).data?.scoringRun?.score,
      );
      await until(
        `${tenant}'s failure`,
        async () => (await ask(tenant, RUN, { id: failed })).data?.scoringRun?.failures?.[0],
      );
      await until(
        `${tenant}'s decision`,
        async () => (await ask(tenant, REVIEW, { id: review })).data?.reviewRun?.decision,
      );
    }

    for (const [tenant, other] of [
      ['acme', 'globex'],
      ['globex', 'acme'],
    ] as const) {
      const lists = await ask(tenant, LISTS);
      assert.equal(lists.errors, undefined, JSON.stringify(lists.errors));
      const data = lists.data!;
      assert.deepEqual(
        data.scoringRuns.nodes.map((n: { id: string }) => n.id).sort(),
        [made[tenant].done, made[tenant].failed].sort(),
      );
      assert.deepEqual(
        data.reviewRuns.nodes.map((n: { id: string }) => n.id),
        [made[tenant].review],
      );
      assert.deepEqual(
        data.failures.nodes.map((n: { runId: string }) => n.runId),
        [made[tenant].failed],
      );
      assert.equal(data.failureGroups.nodes.length, 1);
      assert.equal(data.failureGroups.nodes[0].count, 1, 'a group counts only its tenant’s failures');

      // The other tenant's ids answer exactly as unknown ones.
      for (const id of [made[other].done, made[other].failed]) {
        const run = await ask(tenant, RUN, { id });
        assert.equal(run.errors, undefined);
        assert.equal(run.data!.scoringRun, null);
      }
      assert.equal((await ask(tenant, REVIEW, { id: made[other].review })).data!.reviewRun, null);
      const otherFailure = (await ask(other, LISTS)).data!.failures.nodes[0].id as string;
      const failure = await ask(tenant, 'query($id: ID!) { failure(id: $id) { id } }', { id: otherFailure });
      assert.equal(failure.data?.failure ?? null, null, JSON.stringify(failure));
      const cancel = await ask(tenant, 'mutation($id: ID!) { cancelScoringRun(id: $id) { id } }', {
        id: made[other].done,
      });
      assert.equal(cancel.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      const unknown = await ask(tenant, 'mutation($id: ID!) { cancelScoringRun(id: $id) { id } }', {
        id: '00000000-0000-4000-8000-000000000000',
      });
      assert.equal(
        cancel.errors![0]!.message.replace(made[other].done, '<id>'),
        unknown.errors![0]!.message.replace('00000000-0000-4000-8000-000000000000', '<id>'),
      );

      // A subscription to the other's run: the same error as for a run that does not exist.
      const ws = createClient({
        url: url.replace(/^http/, 'ws'),
        connectionParams: as(tenant),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      });
      const first = async (id: string) =>
        (
          await ws
            .iterate({
              query: 'subscription($id: ID!) { scoringRunProgress(runId: $id) { status } }',
              variables: { id },
            })
            .next()
        ).value;
      const foreign = await first(made[other].done);
      const missing = await first('00000000-0000-4000-8000-000000000000');
      assert.ok(foreign?.errors?.length, JSON.stringify(foreign));
      assert.equal(foreign.errors[0].extensions?.code, missing?.errors?.[0]?.extensions?.code);
      await ws.dispose();
    }

    // The feed is in commit order: one more acme failure, after globex's, marks the end.
    const last = (await ask('acme', SCORE, { d: DIFF, s: 'LLM' })).data!.startScoringRun.id as string;
    await until('acme’s last failure on the feed', async () => delivered.some((d) => d.runId === last));
    assert.deepEqual(
      delivered.map((d) => d.runId),
      [made.acme.failed, last],
      'the feed carries only acme’s failures',
    );
    await feed.dispose();
    await reading.catch(() => undefined);
  });

  it("dead letters: each tenant's admin lists and resolves its own only; the other's id is NOT_FOUND", async () => {
    const admins = {} as Record<Tenant, string>;
    const letters = {} as Record<Tenant, string>;
    for (const tenant of ['acme', 'globex'] as const) {
      admins[tenant] = await createKey(tenant, `${tenant} operator`, 'admin');
      // A write the database refused, as the scoring service's writer stores it.
      letters[tenant] = randomUUID();
      await store.pool.query(
        `insert into scoring.dead_letter (id, tenant_id, write, idempotency_key, payload, error_class,
           error_code, error_message, created_at, updated_at)
         values ($1, $2, 'scoring.run.create', $3, '{}', 'permanent', '23514', 'check violated', now(), now())`,
        [letters[tenant], tenant, `${tenant}-refused`],
      );
    }
    const admin = (tenant: Tenant, query: string, variables: Record<string, unknown> = {}) =>
      gql(url, query, variables, { authorization: `Bearer ${admins[tenant]}` });
    const RESOLVE = `mutation($id: ID!) { resolvePersistenceFailure(id: $id, resolution: IGNORED) { id status } }`;
    for (const [tenant, other] of [
      ['acme', 'globex'],
      ['globex', 'acme'],
    ] as const) {
      const listed = await admin(tenant, '{ persistenceFailures { nodes { id idempotencyKey } } }');
      assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
      assert.deepEqual(listed.data!.persistenceFailures.nodes, [
        { id: letters[tenant], idempotencyKey: `${tenant}-refused` },
      ]);
      const foreign = await admin(tenant, RESOLVE, { id: letters[other] });
      assert.equal(foreign.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(foreign));
    }
    for (const tenant of ['acme', 'globex'] as const) {
      const own = await admin(tenant, RESOLVE, { id: letters[tenant] });
      assert.deepEqual(own.data?.resolvePersistenceFailure, { id: letters[tenant], status: 'IGNORED' });
    }
  });
});
