import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeOpenAI, gql, signedContext, startTestService } from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { reviewService } from '../src/app.ts';
import { PERSONAS, panel } from './support.ts';

// Two tenants on one review service: each caller reads, lists, revises, cancels, follows and resolves
// only its own review runs; another tenant's id answers exactly as an unknown one; idempotency keys
// are per tenant; what the jobs store for a run (proposal, persona reviews, decision, failures)
// carries the run's tenant.

type Tenant = 'acme' | 'globex';
const as = (tenant: string) => ({
  'x-assay-context': signedContext(tenant, ['read', 'write'], `key:${tenant}`),
});
const HEADERS: Record<Tenant, Record<string, string>> = { acme: as('acme'), globex: as('globex') };
const OTHER: Record<Tenant, Tenant> = { acme: 'globex', globex: 'acme' };
const TENANTS: Tenant[] = ['acme', 'globex'];

const START = `mutation($input: StartReviewInput!) { startReview(input: $input) { id status } }`;
const RUN = `query($id: ID!) { reviewRun(id: $id) { id status runType idea parentRun { id } revisions { id }
  personaReviews { personaId error { code } } decision { label partial } error { code } } }`;
const LIST = `query($f: ReviewRunFilter) { reviewRuns(filter: $f, first: 100) { nodes { id } } }`;
const CANCEL = `mutation($id: ID!) { cancelReview(runId: $id) { id status } }`;
const REVISE = `mutation($id: ID!) { reviseReview(runId: $id, input: { editNotes: "tighter scope" }) { id runType parentRun { id } } }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ReviewRun { id status } } }`;
const PROGRESS = `subscription($id: ID!) { reviewRunProgress(runId: $id) { runId status } }`;

/** A message with its UUIDs replaced: another tenant's id and an unknown one must read the same. */
const shape = (message: string) =>
  message.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');

async function start(url: string, tenant: Tenant | null, input: Record<string, unknown>): Promise<string> {
  const started = await gql(url, START, { input }, tenant ? HEADERS[tenant] : {});
  assert.equal(started.errors, undefined, JSON.stringify(started.errors));
  return started.data!.startReview.id as string;
}

describe('review tenancy: reads, lists, revisions, cancels, keys and subscriptions (real PostgreSQL)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  const runs: Record<Tenant, string[]> = { acme: [], globex: [] };
  let defaultRun: string;
  const sql = <T>(query: string, params: unknown[] = []) =>
    service.orm.em.getConnection().execute<T[]>(query, params);

  before(async () => {
    // API only: runs stay QUEUED, so a cancel has something to cancel.
    service = await startTestService(reviewService, { ASSAY_REVIEW_CONCURRENCY: '0' });
    for (const tenant of TENANTS) {
      for (const idea of [`${tenant}: cache scores`, `${tenant}: shard the queue`]) {
        runs[tenant].push(await start(service.url, tenant, { idea }));
      }
    }
    defaultRun = await start(service.url, null, { idea: 'default: nothing special' });
  });
  after(() => service.stopAndDrop());

  it('stores each run with its caller’s tenant', async () => {
    const rows = await sql<{ id: string; tenant_id: string }>('select id, tenant_id from review.review_run');
    assert.deepEqual(
      rows.map((r) => `${r.tenant_id}:${r.id}`).sort(),
      [
        ...runs.acme.map((id) => `acme:${id}`),
        ...runs.globex.map((id) => `globex:${id}`),
        `default:${defaultRun}`,
      ].sort(),
    );
  });

  it('reviewRun, reviewRuns and entity references answer only the caller’s tenant', async () => {
    for (const tenant of TENANTS) {
      const headers = HEADERS[tenant];
      const mine = await gql(service.url, RUN, { id: runs[tenant][0] }, headers);
      assert.equal(mine.data!.reviewRun.id, runs[tenant][0]);
      const theirs = await gql(service.url, RUN, { id: runs[OTHER[tenant]][0] }, headers);
      const unknown = await gql(service.url, RUN, { id: randomUUID() }, headers);
      assert.deepEqual(theirs, unknown, 'another tenant’s run answers as an unknown id');
      assert.deepEqual(theirs.data, { reviewRun: null });

      const listed = await gql(service.url, LIST, {}, headers);
      assert.deepEqual(
        listed.data!.reviewRuns.nodes.map((n: { id: string }) => n.id).sort(),
        [...runs[tenant]].sort(),
      );
      const filtered = await gql(
        service.url,
        LIST,
        { f: { status: ['QUEUED'], runType: 'INITIAL' } },
        headers,
      );
      assert.deepEqual(
        filtered.data!.reviewRuns.nodes.map((n: { id: string }) => n.id).sort(),
        [...runs[tenant]].sort(),
        'a filter matching every tenant’s runs lists the caller’s only',
      );

      const refs = await gql(
        service.url,
        ENTITIES,
        {
          r: [
            { __typename: 'ReviewRun', id: runs[tenant][0] },
            { __typename: 'ReviewRun', id: runs[OTHER[tenant]][0] },
            { __typename: 'ReviewRun', id: randomUUID() },
          ],
        },
        headers,
      );
      assert.equal(refs.errors, undefined, JSON.stringify(refs.errors));
      assert.deepEqual(refs.data!._entities, [{ id: runs[tenant][0], status: 'QUEUED' }, null, null]);
    }
    const asDefault = await gql(service.url, LIST, {});
    assert.deepEqual(
      asDefault.data!.reviewRuns.nodes.map((n: { id: string }) => n.id),
      [defaultRun],
      'the default tenant sees neither',
    );
  });

  it('cancelling or revising another tenant’s run is NOT_FOUND, worded as for an unknown id, and changes nothing', async () => {
    // The owner cancels its run, so that it could be revised: still NOT_FOUND for anyone else.
    const target = runs.globex[1]!;
    const cancelled = await gql(service.url, CANCEL, { id: target }, HEADERS.globex);
    assert.deepEqual(cancelled.data!.cancelReview, { id: target, status: 'CANCELLED' });
    for (const mutation of [CANCEL, REVISE]) {
      for (const id of [target, runs.globex[0]!]) {
        const foreign = await gql(service.url, mutation, { id }, HEADERS.acme);
        const unknown = await gql(service.url, mutation, { id: randomUUID() }, HEADERS.acme);
        assert.equal(foreign.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(foreign.errors));
        assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
        assert.equal(shape(foreign.errors![0]!.message), shape(unknown.errors![0]!.message));
        assert.deepEqual(foreign.data, unknown.data);
      }
    }
    const untouched = (await gql(service.url, RUN, { id: runs.globex[0] }, HEADERS.globex)).data!.reviewRun;
    assert.equal(untouched.status, 'QUEUED');
    const count = await sql<{ n: number }>(
      'select count(*)::int as n from review.review_run where parent_run_id is not null',
    );
    assert.equal(count[0]!.n, 0, 'no revision was made of another tenant’s run');

    // Its owner revises it: the revision is the owner's, and so are its parent and revisions.
    const revised = await gql(service.url, REVISE, { id: target }, HEADERS.globex);
    assert.equal(revised.errors, undefined, JSON.stringify(revised.errors));
    const revision = revised.data!.reviseReview;
    assert.deepEqual(revision.parentRun, { id: target });
    const parent = (await gql(service.url, RUN, { id: target }, HEADERS.globex)).data!.reviewRun;
    assert.deepEqual(parent.revisions, [{ id: revision.id }]);
    assert.equal((await gql(service.url, RUN, { id: revision.id }, HEADERS.acme)).data!.reviewRun, null);
    const [row] = await sql<{ tenant_id: string }>('select tenant_id from review.review_run where id = ?', [
      revision.id,
    ]);
    assert.equal(row!.tenant_id, 'globex');
  });

  it('the same idempotency key in two tenants makes two runs; each tenant’s repeat finds its own', async () => {
    const acme = await start(service.url, 'acme', { idea: 'One idea', idempotencyKey: 'ci-7' });
    // Another tenant may use the key for a different request: it is not a conflict.
    const globex = await start(service.url, 'globex', { idea: 'Another idea', idempotencyKey: 'ci-7' });
    assert.notEqual(acme, globex);
    assert.equal(await start(service.url, 'acme', { idea: 'One idea', idempotencyKey: 'ci-7' }), acme);
    const rows = await sql<{ id: string; tenant_id: string }>(
      `select id, tenant_id from review.review_run where idempotency_key = 'ci-7' order by tenant_id`,
    );
    assert.deepEqual(rows, [
      { id: acme, tenant_id: 'acme' },
      { id: globex, tenant_id: 'globex' },
    ]);
    const conflict = await gql(
      service.url,
      START,
      { input: { idea: 'Changed', idempotencyKey: 'ci-7' } },
      HEADERS.acme,
    );
    assert.equal(
      conflict.errors?.[0]?.extensions?.code,
      'BAD_USER_INPUT',
      'within a tenant a key still means one request',
    );
  });

  it('reviewRunProgress follows the caller’s own run; another tenant’s run is the same coded error as an unknown one', async () => {
    const clients = TENANTS.map((tenant) =>
      createClient({
        url: service.url.replace(/^http/, 'ws'),
        connectionParams: HEADERS[tenant],
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      }),
    );
    const [acmeClient, globexClient] = clients;
    try {
      const fresh = await start(service.url, 'acme', { idea: 'acme: followed live' });
      const all = async (client: ReturnType<typeof createClient>, id: string) => {
        const results = [];
        for await (const result of client.iterate({ query: PROGRESS, variables: { id } }))
          results.push(result);
        return results;
      };
      const foreign = await all(acmeClient!, runs.globex[0]!);
      const unknown = await all(acmeClient!, randomUUID());
      for (const results of [foreign, unknown]) {
        assert.equal(results.length, 1);
        assert.equal(results[0]!.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(results));
      }
      assert.equal(shape(foreign[0]!.errors![0]!.message), shape(unknown[0]!.errors![0]!.message));
      assert.deepEqual(Object.keys(foreign[0]!), Object.keys(unknown[0]!));

      const heard: string[] = [];
      const following = (async () => {
        for await (const result of acmeClient!.iterate<{
          reviewRunProgress: { runId: string; status: string };
        }>({
          query: PROGRESS,
          variables: { id: fresh },
        })) {
          assert.equal(result.errors, undefined, JSON.stringify(result.errors));
          heard.push(`${result.data!.reviewRunProgress.runId}:${result.data!.reviewRunProgress.status}`);
        }
      })();
      const refused = await all(globexClient!, fresh);
      assert.equal(refused[0]!.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      for (let i = 0; i < 200 && heard.length === 0; i++) await sleep(25);
      assert.deepEqual(heard, [`${fresh}:QUEUED`]);
      await gql(service.url, CANCEL, { id: fresh }, HEADERS.acme);
      await following;
      assert.deepEqual(heard, [`${fresh}:QUEUED`, `${fresh}:CANCELLED`]);
    } finally {
      for (const client of clients) await client.dispose();
    }
  });
});

describe('review tenancy: what the jobs store (real PostgreSQL, pg-boss, fake OpenAI)', {
  timeout: 120_000,
}, () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  let openai: FakeOpenAI;
  const sql = <T>(query: string, params: unknown[] = []) =>
    service.orm.em.getConnection().execute<T[]>(query, params);

  before(async () => {
    openai = await FakeOpenAI.start();
    service = await startTestService(reviewService, {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      ASSAY_LLM_TIMEOUT_MS: '5000',
      ASSAY_REVIEW_PERSONA_RETRIES: '0',
    });
  });
  after(async () => {
    await service?.stopAndDrop();
    await openai?.close();
  });

  async function ended(tenant: Tenant, id: string) {
    for (let i = 0; i < 400; i++) {
      const run = (await gql(service.url, RUN, { id }, HEADERS[tenant])).data!.reviewRun;
      if (!['QUEUED', 'RUNNING'].includes(run.status)) return run;
      await sleep(50);
    }
    throw new Error(`run ${id} did not end`);
  }

  /** Every row stored for `runId`, table by table, as `table:tenant`. */
  async function tenantsOf(runId: string): Promise<string[]> {
    const rows = await sql<{ t: string; tenant_id: string }>(
      `select 'proposal_version' as t, tenant_id from review.proposal_version where run_id = ?
       union all select 'persona_review', tenant_id from review.persona_review where run_id = ?
       union all select 'decision', tenant_id from review.decision where run_id = ?
       union all select 'failure_outbox:' || stage, tenant_id from review.failure_outbox where run_id = ?`,
      [runId, runId, runId, runId],
    );
    return rows.map((r) => `${r.t}:${r.tenant_id}`).sort();
  }

  it('a completed run’s proposal, persona reviews, decision and persona failure carry its tenant', async () => {
    openai.otherwise(panel({ cost: { kind: 'error', status: 500 } }));
    try {
      const id = await start(service.url, 'acme', { idea: 'acme: cache scores per commit' });
      const run = await ended('acme', id);
      assert.equal(run.status, 'COMPLETED', JSON.stringify(run.error));
      assert.equal(run.decision.partial, true);
      assert.equal(run.personaReviews.length, PERSONAS.length);
      assert.deepEqual(
        await tenantsOf(id),
        [
          'decision:acme',
          'failure_outbox:persona:cost:acme',
          ...PERSONAS.map(() => 'persona_review:acme'),
          'proposal_version:acme',
        ].sort(),
      );
      assert.equal((await gql(service.url, RUN, { id }, HEADERS.globex)).data!.reviewRun, null);
    } finally {
      openai.reset();
    }
  });

  it('a run its job fails outboxes its failures under its tenant', async () => {
    const failing = Object.fromEntries(PERSONAS.map((p) => [p.id, { kind: 'error', status: 500 } as const]));
    openai.otherwise(panel(failing));
    try {
      const id = await start(service.url, 'globex', { idea: 'globex: nobody will answer' });
      const run = await ended('globex', id);
      assert.equal(run.status, 'FAILED');
      assert.equal(run.error.code, 'REVIEW_QUORUM_NOT_MET');
      assert.deepEqual(
        await tenantsOf(id),
        [
          'failure_outbox:run:globex',
          ...PERSONAS.map((p) => `failure_outbox:persona:${p.id}:globex`),
          ...PERSONAS.map(() => 'persona_review:globex'),
          'proposal_version:globex',
        ].sort(),
      );
    } finally {
      openai.reset();
    }
  });
});
