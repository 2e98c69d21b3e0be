import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeOpenAI, gql, signedContext, startTestService } from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { scoringService } from '../src/app.ts';

// Two tenants on one scoring service: each caller reads, lists, cancels, follows and resolves only
// its own runs; another tenant's id answers exactly as an unknown one; idempotency keys are per
// tenant; what the jobs and the watchdog write for a run carries the run's tenant.

type Tenant = 'acme' | 'globex';
const as = (tenant: string) => ({
  'x-assay-context': signedContext(tenant, ['read', 'write'], `key:${tenant}`),
});
const HEADERS: Record<Tenant, Record<string, string>> = { acme: as('acme'), globex: as('globex') };
const OTHER: Record<Tenant, Tenant> = { acme: 'globex', globex: 'acme' };
const TENANTS: Tenant[] = ['acme', 'globex'];

const DIFF = 'diff --git a/x.ts b/x.ts\n--- a/x.ts\n+++ b/x.ts\n@@ -1 +1 @@\n-a\n+b\n';
const START = `mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id status } }`;
const RUN = `query($id: ID!) { scoringRun(id: $id) { id status subject { repository } error { code } score { value } } }`;
const LIST = `query($f: ScoringRunFilter) { scoringRuns(filter: $f, first: 100) { nodes { id } } }`;
const CANCEL = `mutation($id: ID!) { cancelScoringRun(id: $id) { id status } }`;
const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ScoringRun { id status } } }`;
const PROGRESS = `subscription($id: ID!) { scoringRunProgress(runId: $id) { runId status } }`;

/** A message with its UUIDs replaced: another tenant's id and an unknown one must read the same. */
const shape = (message: string) =>
  message.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');

async function start(url: string, tenant: Tenant | null, input: Record<string, unknown>): Promise<string> {
  const started = await gql(url, START, { input }, tenant ? HEADERS[tenant] : {});
  assert.equal(started.errors, undefined, JSON.stringify(started.errors));
  return started.data!.startScoringRun.id as string;
}

describe('scoring tenancy: reads, lists, cancels, keys and subscriptions (real PostgreSQL)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  const runs: Record<Tenant, string[]> = { acme: [], globex: [] };
  let defaultRun: string;
  const sql = <T>(query: string, params: unknown[] = []) =>
    service.orm.em.getConnection().execute<T[]>(query, params);

  before(async () => {
    // API only: runs stay QUEUED, so a cancel has something to cancel.
    service = await startTestService(scoringService, { ASSAY_SCORING_CONCURRENCY: '0' });
    for (const tenant of TENANTS) {
      for (const repository of [`${tenant}/api`, 'shared/repo']) {
        runs[tenant].push(await start(service.url, tenant, { subject: { repository, diff: DIFF } }));
      }
    }
    defaultRun = await start(service.url, null, { subject: { repository: 'shared/repo', diff: DIFF } });
  });
  after(() => service.stopAndDrop());

  it('stores each run with its caller’s tenant', async () => {
    const rows = await sql<{ id: string; tenant_id: string }>(
      'select id, tenant_id from scoring.scoring_run',
    );
    assert.deepEqual(
      rows.map((r) => `${r.tenant_id}:${r.id}`).sort(),
      [
        ...runs.acme.map((id) => `acme:${id}`),
        ...runs.globex.map((id) => `globex:${id}`),
        `default:${defaultRun}`,
      ].sort(),
    );
  });

  it('scoringRun, scoringRuns and entity references answer only the caller’s tenant', async () => {
    for (const tenant of TENANTS) {
      const headers = HEADERS[tenant];
      const mine = await gql(service.url, RUN, { id: runs[tenant][0] }, headers);
      assert.equal(mine.data!.scoringRun.id, runs[tenant][0]);
      const theirs = await gql(service.url, RUN, { id: runs[OTHER[tenant]][0] }, headers);
      const unknown = await gql(service.url, RUN, { id: randomUUID() }, headers);
      assert.deepEqual(theirs, unknown, 'another tenant’s run answers as an unknown id');
      assert.deepEqual(theirs.data, { scoringRun: null });
      assert.equal(theirs.errors, undefined);

      const listed = await gql(service.url, LIST, {}, headers);
      assert.deepEqual(
        listed.data!.scoringRuns.nodes.map((n: { id: string }) => n.id).sort(),
        [...runs[tenant]].sort(),
      );
      const filtered = await gql(
        service.url,
        LIST,
        { f: { repository: 'shared/repo', status: ['QUEUED'] } },
        headers,
      );
      assert.deepEqual(
        filtered.data!.scoringRuns.nodes.map((n: { id: string }) => n.id),
        [runs[tenant][1]],
        'a filter matching every tenant’s runs lists the caller’s only',
      );

      const refs = await gql(
        service.url,
        ENTITIES,
        {
          r: [
            { __typename: 'ScoringRun', id: runs[tenant][0] },
            { __typename: 'ScoringRun', id: runs[OTHER[tenant]][0] },
            { __typename: 'ScoringRun', id: randomUUID() },
          ],
        },
        headers,
      );
      assert.equal(refs.errors, undefined, JSON.stringify(refs.errors));
      assert.deepEqual(refs.data!._entities, [{ id: runs[tenant][0], status: 'QUEUED' }, null, null]);
    }
    const asDefault = await gql(service.url, LIST, {});
    assert.deepEqual(
      asDefault.data!.scoringRuns.nodes.map((n: { id: string }) => n.id),
      [defaultRun],
      'the default tenant sees neither',
    );
  });

  it('cancelling another tenant’s run is NOT_FOUND, worded as for an unknown id, and changes nothing', async () => {
    const foreign = await gql(service.url, CANCEL, { id: runs.globex[0] }, HEADERS.acme);
    const unknown = await gql(service.url, CANCEL, { id: randomUUID() }, HEADERS.acme);
    assert.equal(foreign.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(foreign.errors));
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    assert.equal(shape(foreign.errors![0]!.message), shape(unknown.errors![0]!.message));
    assert.deepEqual(foreign.data, unknown.data);
    assert.equal(
      (await gql(service.url, RUN, { id: runs.globex[0] }, HEADERS.globex)).data!.scoringRun.status,
      'QUEUED',
    );

    const own = await gql(service.url, CANCEL, { id: runs.globex[0] }, HEADERS.globex);
    assert.deepEqual(own.data!.cancelScoringRun, { id: runs.globex[0], status: 'CANCELLED' });
  });

  it('the same idempotency key in two tenants makes two runs; each tenant’s repeat finds its own', async () => {
    const input = { subject: { repository: 'shared/repo', diff: DIFF }, idempotencyKey: 'ci-build-7' };
    const acme = await start(service.url, 'acme', input);
    // Another tenant may use the key for a different request: it is not a conflict.
    const globex = await start(service.url, 'globex', {
      ...input,
      subject: { repository: 'globex/other', diff: DIFF },
    });
    assert.notEqual(acme, globex);
    assert.equal(await start(service.url, 'acme', input), acme);
    const rows = await sql<{ id: string; tenant_id: string }>(
      `select id, tenant_id from scoring.scoring_run where idempotency_key = 'ci-build-7' order by tenant_id`,
    );
    assert.deepEqual(rows, [
      { id: acme, tenant_id: 'acme' },
      { id: globex, tenant_id: 'globex' },
    ]);
    const conflict = await gql(
      service.url,
      START,
      { input: { ...input, subject: { repository: 'acme/changed', diff: DIFF } } },
      HEADERS.acme,
    );
    assert.equal(
      conflict.errors?.[0]?.extensions?.code,
      'BAD_USER_INPUT',
      'within a tenant a key still means one request',
    );
  });

  it('unpersistedScores lists the caller’s runs only', async () => {
    // Two runs marked DONE without a score, as a lost score would leave them.
    const lost = { acme: runs.acme[1]!, globex: runs.globex[1]! };
    await sql(
      `update scoring.scoring_run set status = 'DONE', finished_at = now() - interval '5 minutes' where id in (?, ?)`,
      [lost.acme, lost.globex],
    );
    for (const tenant of TENANTS) {
      const listed = await gql(
        service.url,
        '{ unpersistedScores(sinceHours: 1) { id } }',
        {},
        HEADERS[tenant],
      );
      assert.deepEqual(listed.data!.unpersistedScores, [{ id: lost[tenant] }]);
    }
    assert.deepEqual(
      (await gql(service.url, '{ unpersistedScores(sinceHours: 1) { id } }')).data!.unpersistedScores,
      [],
    );
  });

  it('scoringRunProgress follows the caller’s own run; another tenant’s run is the same coded error as an unknown one', async () => {
    const clients = TENANTS.map((tenant) =>
      createClient({
        url: service.url.replace(/^http/, 'ws'),
        connectionParams: HEADERS[tenant],
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      }),
    );
    const [acmeClient] = clients;
    try {
      const fresh = {
        acme: await start(service.url, 'acme', { subject: { repository: 'acme/live', diff: DIFF } }),
      };
      const first = async (client: ReturnType<typeof createClient>, id: string) => {
        const results = [];
        for await (const result of client.iterate({ query: PROGRESS, variables: { id } }))
          results.push(result);
        return results;
      };
      const foreign = await first(acmeClient!, runs.globex[0]!);
      const unknown = await first(acmeClient!, randomUUID());
      for (const results of [foreign, unknown]) {
        assert.equal(results.length, 1);
        assert.equal(results[0]!.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(results));
      }
      assert.equal(shape(foreign[0]!.errors![0]!.message), shape(unknown[0]!.errors![0]!.message));
      assert.deepEqual(Object.keys(foreign[0]!), Object.keys(unknown[0]!));

      // The owner hears its run now and its cancellation; globex, asking for it, hears nothing of it.
      const heard: string[] = [];
      const following = (async () => {
        for await (const result of acmeClient!.iterate<{
          scoringRunProgress: { runId: string; status: string };
        }>({
          query: PROGRESS,
          variables: { id: fresh.acme },
        })) {
          assert.equal(result.errors, undefined, JSON.stringify(result.errors));
          heard.push(`${result.data!.scoringRunProgress.runId}:${result.data!.scoringRunProgress.status}`);
        }
      })();
      const refused = await first(clients[1]!, fresh.acme);
      assert.equal(refused[0]!.errors?.[0]?.extensions?.code, 'NOT_FOUND');
      for (let i = 0; i < 200 && heard.length === 0; i++) await sleep(25);
      assert.deepEqual(heard, [`${fresh.acme}:QUEUED`]);
      await gql(service.url, CANCEL, { id: fresh.acme }, HEADERS.acme);
      await following;
      assert.deepEqual(heard, [`${fresh.acme}:QUEUED`, `${fresh.acme}:CANCELLED`]);
    } finally {
      for (const client of clients) await client.dispose();
    }
  });
});

describe('scoring tenancy: what jobs and the watchdog write (real PostgreSQL, pg-boss, fake OpenAI)', {
  timeout: 120_000,
}, () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  let openai: FakeOpenAI;
  const sql = <T>(query: string, params: unknown[] = []) =>
    service.orm.em.getConnection().execute<T[]>(query, params);

  before(async () => {
    openai = await FakeOpenAI.start();
    service = await startTestService(scoringService, {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      ASSAY_LLM_TIMEOUT_MS: '600000',
      ASSAY_LLM_RETRIES: '0',
      ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: '1500',
      ASSAY_WATCHDOG_INTERVAL_MS: '300',
      ASSAY_RUN_MAX_ATTEMPTS: '1',
    });
  });
  after(async () => {
    await service?.stopAndDrop();
    await openai?.close();
  });

  async function ended(tenant: Tenant, id: string) {
    for (let i = 0; i < 400; i++) {
      const run = (await gql(service.url, RUN, { id }, HEADERS[tenant])).data!.scoringRun;
      if (['DONE', 'ERROR', 'CANCELLED'].includes(run.status)) return run;
      await sleep(50);
    }
    throw new Error(`run ${id} did not end`);
  }

  it('a score stored by the job carries the run’s tenant, and is read through the run by its tenant only', async () => {
    const id = await start(service.url, 'acme', { subject: { repository: 'acme/api', diff: DIFF } });
    const run = await ended('acme', id);
    assert.equal(run.status, 'DONE', JSON.stringify(run.error));
    assert.equal(typeof run.score.value, 'number');
    const rows = await sql<{ tenant_id: string }>('select tenant_id from scoring.score where run_id = ?', [
      id,
    ]);
    assert.deepEqual(rows, [{ tenant_id: 'acme' }]);
    assert.equal((await gql(service.url, RUN, { id }, HEADERS.globex)).data!.scoringRun, null);
  });

  it('a run failed by its job and one failed by the watchdog outbox their failures under the run’s tenant', async () => {
    openai.otherwise({ kind: 'error', status: 401, message: 'bad key' });
    const failed = await start(service.url, 'globex', {
      subject: { repository: 'globex/api', diff: DIFF },
      scorer: 'LLM',
    });
    const byJob = await ended('globex', failed);
    assert.equal(byJob.status, 'ERROR');

    openai.otherwise({ kind: 'hang' });
    try {
      const hung = await start(service.url, 'acme', {
        subject: { repository: 'acme/api', diff: DIFF },
        scorer: 'LLM',
      });
      const byWatchdog = await ended('acme', hung);
      assert.equal(byWatchdog.error.code, 'HEARTBEAT_TIMEOUT');

      const rows = await sql<{ run_id: string; tenant_id: string; stage: string; error_code: string }>(
        'select run_id, tenant_id, stage, error_code from scoring.failure_outbox where run_id in (?, ?) order by stage',
        [failed, hung],
      );
      assert.deepEqual(rows, [
        { run_id: failed, tenant_id: 'globex', stage: 'run', error_code: byJob.error.code },
        { run_id: hung, tenant_id: 'acme', stage: 'watchdog', error_code: 'HEARTBEAT_TIMEOUT' },
      ]);
    } finally {
      openai.reset();
    }
  });
});
