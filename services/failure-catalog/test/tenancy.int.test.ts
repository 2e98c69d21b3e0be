import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '@assay/kit';
import { createTestDatabase, gql, signedContext, startReplica } from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { scoringService } from '../../scoring/src/app.ts';
import { failureCatalogService } from '../src/app.ts';

// Two tenants' failures, taken through the real intake (scoring's outbox, rows carrying their
// tenant), on one catalog: each caller sees its own failures, groups, stats, feed and catalog,
// and another tenant's id answers exactly as an unknown one.

type Scope = 'read' | 'write' | 'admin';
const as = (
  tenant: string,
  scopes: Scope[] = ['read', 'write'],
  subject = `key:${tenant}-${scopes.at(-1)}`,
) => ({
  'x-assay-context': signedContext(tenant, scopes, subject),
});
const ACME = as('acme');
const GLOBEX = as('globex');
const ACME_ADMIN = as('acme', ['admin'], 'key:acmeadmin001');

const LIST = `query($f: FailureFilter) { failures(filter: $f, first: 100) { nodes { id errorCode matchType } } }`;
const ONE = `query($id: ID!) { failure(id: $id) { id errorCode recoveryStatus group { id } } }`;
const GROUPS = `{ failureGroups(first: 100) { nodes { id errorCode count runsAffected } } }`;
const GROUP = `query($id: ID!) { failureGroup(id: $id) { id count } }`;
const RECOVER = `mutation($id: ID!, $s: RecoveryStatus!) { updateFailureRecovery(id: $id, input: { status: $s, note: "done" }) { id recoveryStatus } }`;
const RECOVER_GROUP = `mutation($id: ID!, $s: RecoveryStatus!) { updateFailureGroupRecovery(id: $id, input: { status: $s }) { id status } }`;
const UPSERT = `mutation($input: CatalogEntryInput!) { upsertCatalogEntry(input: $input) { id errorCode recoverySuggestion } }`;
const ENTRIES = '{ catalogEntries { id errorCode recoverySuggestion } }';
const STATS =
  '{ failureStats(sinceHours: 1) { total topCodes { key count } topGroups { group { id } count } } }';
const UNRECOVERED = '{ unrecoveredFailures(first: 100) { nodes { id } } }';

describe('failure catalog tenancy (real PostgreSQL, real intake)', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let services: RunningService[] = [];
  let url: string;
  const runId = randomUUID(); // both tenants report failures for the same run id
  const ids: Record<'acme' | 'globex', string[]> = { acme: [], globex: [] };

  const sql = <T>(query: string, params: unknown[] = []) =>
    services[1]!.orm.em.getConnection().execute<T[]>(query, params);

  /** Writes a failure into scoring's outbox as the scoring service would, for `tenant`. */
  async function report(tenant: string, errorCode: string, message: string, run = runId): Promise<string> {
    const id = randomUUID();
    await sql(
      `insert into scoring.failure_outbox (id, tenant_id, service, run_id, error_code, error_message, retryable,
         stage, trace_id, context, occurred_at)
       values (?, ?, 'scoring', ?, ?, ?, true, 'run', null, null, now())`,
      [id, tenant, run, errorCode, message],
    );
    return id;
  }

  async function stored(id: string): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const rows = await sql<{ id: string }>('select id from failure_catalog.failure_match where id = ?', [
        id,
      ]);
      if (rows.length === 1) return;
      await sleep(50);
    }
    throw new Error(`failure ${id} never taken from the outbox`);
  }

  before(async () => {
    database = await createTestDatabase();
    services = [
      await startReplica(scoringService, database.url, { ASSAY_SCORING_CONCURRENCY: '0' }),
      await startReplica(failureCatalogService, database.url, { ASSAY_FAILURE_INTAKE_INTERVAL_MS: '100' }),
    ];
    url = services[1]!.url;
    // The same failure (same service, code and message: same fingerprint) in both tenants, and one each of their own.
    for (const tenant of ['acme', 'globex'] as const) {
      ids[tenant].push(await report(tenant, 'SCORER_UNAVAILABLE', 'no OPENAI_API_KEY on the scorer'));
      ids[tenant].push(await report(tenant, 'SCORER_UNAVAILABLE', 'no OPENAI_API_KEY on the scorer'));
      ids[tenant].push(await report(tenant, `${tenant.toUpperCase()}_ONLY`, `${tenant} specific failure`));
    }
    for (const id of [...ids.acme, ...ids.globex]) await stored(id);
  });
  after(async () => {
    for (const s of services.reverse()) await s.stop();
    await database?.drop();
  });

  it('the intake keeps each report’s tenant', async () => {
    const rows = await sql<{ id: string; tenant_id: string }>(
      'select id, tenant_id from failure_catalog.failure_match where run_id = ?',
      [runId],
    );
    assert.deepEqual(
      rows.map((r) => `${r.tenant_id}:${r.id}`).sort(),
      [...ids.acme.map((id) => `acme:${id}`), ...ids.globex.map((id) => `globex:${id}`)].sort(),
    );
  });

  it('failures, failure and the run entity answer only the caller’s tenant', async () => {
    for (const [tenant, headers, other] of [
      ['acme', ACME, 'globex'],
      ['globex', GLOBEX, 'acme'],
    ] as const) {
      const listed = await gql(url, LIST, { f: { runId } }, headers);
      assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
      assert.deepEqual(
        listed.data!.failures.nodes.map((n: { id: string }) => n.id).sort(),
        [...ids[tenant]].sort(),
      );
      // The shared built-in catalog applies to every tenant.
      assert.ok(
        listed.data!.failures.nodes.some(
          (n: { errorCode: string; matchType: string }) =>
            n.errorCode === 'SCORER_UNAVAILABLE' && n.matchType === 'EXACT',
        ),
        'built-in entries match every tenant’s failures',
      );
      const mine = await gql(url, ONE, { id: ids[tenant][0] }, headers);
      assert.equal(mine.data!.failure.id, ids[tenant][0]);
      const theirs = await gql(url, ONE, { id: ids[other][0] }, headers);
      assert.equal(theirs.errors, undefined);
      assert.equal(theirs.data!.failure, null, 'another tenant’s failure is null, like an unknown id');

      const run = await gql(
        url,
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on ScoringRun { failures { id } } } }',
        { r: [{ __typename: 'ScoringRun', id: runId }] },
        headers,
      );
      assert.equal(run.errors, undefined, JSON.stringify(run.errors));
      assert.deepEqual(
        run.data!._entities[0].failures.map((f: { id: string }) => f.id).sort(),
        [...ids[tenant]].sort(),
      );

      const refs = await gql(
        url,
        `query($r: [_Any!]!) { _entities(representations: $r) {
           ... on FailureMatch { id errorCode recoveryHistory { note } } ... on FailureGroup { id count } } }`,
        {
          r: [
            { __typename: 'FailureMatch', id: ids[tenant][0] },
            { __typename: 'FailureMatch', id: ids[other][0] },
          ],
        },
        headers,
      );
      assert.equal(refs.errors, undefined, JSON.stringify(refs.errors));
      assert.deepEqual(refs.data!._entities, [
        { id: ids[tenant][0], errorCode: 'SCORER_UNAVAILABLE', recoveryHistory: [] },
        null,
      ]);
    }
    const asDefault = await gql(url, LIST, { f: { runId } });
    assert.deepEqual(asDefault.data!.failures.nodes, [], 'the default tenant sees neither');
  });

  it('groups, stats and the unrecovered list are per tenant', async () => {
    const groupsOf = async (headers: Record<string, string>) =>
      (await gql(url, GROUPS, {}, headers)).data!.failureGroups.nodes as {
        id: string;
        errorCode: string;
        count: number;
        runsAffected: number;
      }[];
    const acme = await groupsOf(ACME);
    const globex = await groupsOf(GLOBEX);
    assert.deepEqual(acme.map((g) => `${g.errorCode}:${g.count}:${g.runsAffected}`).sort(), [
      'ACME_ONLY:1:1',
      'SCORER_UNAVAILABLE:2:1',
    ]);
    assert.deepEqual(globex.map((g) => `${g.errorCode}:${g.count}:${g.runsAffected}`).sort(), [
      'GLOBEX_ONLY:1:1',
      'SCORER_UNAVAILABLE:2:1',
    ]);
    const acmeGroup = acme.find((g) => g.errorCode === 'SCORER_UNAVAILABLE')!;
    assert.equal((await gql(url, GROUP, { id: acmeGroup.id }, ACME)).data!.failureGroup.count, 2);
    const foreign = await gql(url, GROUP, { id: acmeGroup.id }, GLOBEX);
    assert.equal(foreign.errors, undefined);
    assert.equal(foreign.data!.failureGroup, null, 'another tenant’s group is null, like an unknown id');
    const mine = (await gql(url, ONE, { id: ids.acme[0] }, ACME)).data!.failure;
    assert.equal(mine.group.id, acmeGroup.id);

    const stats = (await gql(url, STATS, {}, ACME)).data!.failureStats;
    assert.equal(stats.total, 3);
    assert.deepEqual(
      stats.topCodes.map((c: { key: string; count: number }) => `${c.key}:${c.count}`),
      ['SCORER_UNAVAILABLE:2', 'ACME_ONLY:1'],
    );
    assert.ok(stats.topGroups.every((g: { group: { id: string } }) => acme.some((a) => a.id === g.group.id)));
    assert.equal((await gql(url, STATS, {}, GLOBEX)).data!.failureStats.total, 3);
    assert.equal((await gql(url, STATS)).data!.failureStats.total, 0);

    const unrecovered = (await gql(url, UNRECOVERED, {}, GLOBEX)).data!.unrecoveredFailures.nodes;
    assert.deepEqual(unrecovered.map((n: { id: string }) => n.id).sort(), [...ids.globex].sort());
  });

  it('recovery of another tenant’s failure or group is NOT_FOUND and changes nothing; a read-only caller is FORBIDDEN', async () => {
    const foreign = await gql(url, RECOVER, { id: ids.globex[2], s: 'IGNORED' }, ACME);
    assert.equal(foreign.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const unknown = await gql(url, RECOVER, { id: randomUUID(), s: 'IGNORED' }, ACME);
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    assert.equal(
      foreign.errors![0]!.message.replace(ids.globex[2]!, '<id>'),
      unknown.errors![0]!.message.replace(/[0-9a-f-]{36}/, '<id>'),
      'the same answer as for an id that does not exist',
    );
    const globexGroups = (await gql(url, GROUPS, {}, GLOBEX)).data!.failureGroups.nodes as { id: string }[];
    const foreignGroup = await gql(url, RECOVER_GROUP, { id: globexGroups[0]!.id, s: 'IGNORED' }, ACME);
    assert.equal(foreignGroup.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const unknownGroup = await gql(url, RECOVER_GROUP, { id: randomUUID(), s: 'IGNORED' }, ACME);
    assert.equal(
      foreignGroup.errors![0]!.message.replace(globexGroups[0]!.id, '<id>'),
      unknownGroup.errors![0]!.message.replace(/[0-9a-f-]{36}/, '<id>'),
    );
    const readOnly = await gql(url, RECOVER, { id: ids.acme[2], s: 'IGNORED' }, as('acme', ['read']));
    assert.equal(readOnly.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const acmeGroups = (await gql(url, GROUPS, {}, ACME)).data!.failureGroups.nodes as { id: string }[];
    const readOnlyGroup = await gql(
      url,
      RECOVER_GROUP,
      { id: acmeGroups[0]!.id, s: 'IGNORED' },
      as('acme', ['read']),
    );
    assert.equal(readOnlyGroup.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const groupsUntouched = await sql<{ n: string }>(
      `select count(*) as n from failure_catalog.failure_group where status <> 'UNRECOVERED'`,
    );
    assert.equal(Number(groupsUntouched[0]!.n), 0, 'no group changed');
    const untouched = await sql<{ n: string }>(
      `select count(*) as n from failure_catalog.failure_match where tenant_id = 'globex' and recovery_status <> 'UNRECOVERED'`,
    );
    assert.equal(Number(untouched[0]!.n), 0);
    assert.equal(
      (await gql(url, ONE, { id: ids.acme[2] }, ACME)).data!.failure.recoveryStatus,
      'UNRECOVERED',
      'the read-only caller changed nothing',
    );
  });

  it('recovery changes leave an audit row with the caller, in the change’s transaction', async () => {
    const subject = 'key:acmewriter01';
    const writer = as('acme', ['write'], subject);
    const since = new Date();
    const one = await gql(url, RECOVER, { id: ids.acme[2], s: 'IGNORED' }, writer);
    assert.equal(one.errors, undefined, JSON.stringify(one.errors));
    const group = (
      (await gql(url, GROUPS, {}, ACME)).data!.failureGroups.nodes as { id: string; errorCode: string }[]
    ).find((g) => g.errorCode === 'SCORER_UNAVAILABLE')!;
    const all = await gql(url, RECOVER_GROUP, { id: group.id, s: 'RECOVERED' }, writer);
    assert.equal(all.errors, undefined, JSON.stringify(all.errors));
    const refused = await gql(url, RECOVER, { id: ids.acme[2], s: 'IGNORED' }, writer);
    assert.equal(refused.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const rows = await sql<{
      tenant_id: string;
      actor: string;
      action: string;
      target: string;
      detail: Record<string, unknown>;
      at: string;
    }>(
      `select tenant_id, actor, action, target, detail, at from failure_catalog.audit_log
       where action like '%recovery_changed' order by at`,
    );
    // The previous test's NOT_FOUND and FORBIDDEN attempts are not here either.
    assert.deepEqual(
      rows.map((r) => [r.tenant_id, r.actor, r.action, r.target]),
      [
        ['acme', subject, 'failure.recovery_changed', ids.acme[2]],
        ['acme', subject, 'failure_group.recovery_changed', group.id],
      ],
      'one row per change made; none for the refused one',
    );
    assert.deepEqual(rows[0]!.detail, { from: 'UNRECOVERED', to: 'IGNORED', note: 'done', by: null });
    assert.deepEqual(rows[1]!.detail, {
      from: 'UNRECOVERED',
      to: 'RECOVERED',
      note: null,
      by: null,
      occurrences: 2,
    });
    for (const row of rows) {
      const at = new Date(row.at);
      assert.ok(at >= since && at <= new Date(), `when: stamped at the change, not ${row.at}`);
    }
  });

  it('catalog administration needs admin; each tenant edits its own entries over the shared built-ins, audited', async () => {
    const input = {
      errorCode: 'ACME_ONLY',
      title: 'Acme’s own failure',
      category: 'acme',
      recoverySuggestion: 'call the acme on-call',
    };
    const since = new Date();
    const writer = await gql(url, UPSERT, { input }, as('acme', ['write']));
    assert.equal(writer.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const rematchByWriter = await gql(
      url,
      'mutation { rematchFailures(sinceHours: 1) }',
      {},
      as('acme', ['write']),
    );
    assert.equal(rematchByWriter.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    const catalogAudit = () =>
      sql<{
        tenant_id: string;
        actor: string;
        action: string;
        target: string;
        detail: Record<string, unknown>;
        at: string;
      }>(
        `select tenant_id, actor, action, target, detail, at from failure_catalog.audit_log
         where action like 'catalog.%' order by at`,
      );
    assert.deepEqual(await catalogAudit(), [], 'a FORBIDDEN attempt leaves no audit row');
    assert.ok(
      !(await gql(url, ENTRIES, {}, ACME)).data!.catalogEntries.some(
        (e: { errorCode: string }) => e.errorCode === 'ACME_ONLY',
      ),
      'a FORBIDDEN attempt changes nothing',
    );
    const unmatched = await gql(
      url,
      'query($id: ID!) { failure(id: $id) { matchType } }',
      { id: ids.acme[2] },
      ACME,
    );
    assert.equal(unmatched.data!.failure.matchType, 'NONE');

    const added = await gql(url, UPSERT, { input }, ACME_ADMIN);
    assert.equal(added.errors, undefined, JSON.stringify(added.errors));
    // Acme overrides a built-in for itself only.
    const override = await gql(
      url,
      UPSERT,
      {
        input: {
          errorCode: 'SCORER_UNAVAILABLE',
          title: 'No scorer',
          category: 'configuration',
          recoverySuggestion: 'acme: ask platform for a key',
        },
      },
      ACME_ADMIN,
    );
    assert.equal(override.errors, undefined, JSON.stringify(override.errors));

    const entries = async (headers: Record<string, string>) =>
      (await gql(url, ENTRIES, {}, headers)).data!.catalogEntries as {
        id: string;
        errorCode: string;
        recoverySuggestion: string;
      }[];
    const acme = await entries(ACME);
    const globex = await entries(GLOBEX);
    const byDefault = await entries({});
    assert.ok(acme.some((e) => e.errorCode === 'ACME_ONLY'));
    assert.ok(
      acme.some((e) => e.errorCode === 'HEARTBEAT_TIMEOUT'),
      'built-ins listed for every tenant',
    );
    assert.equal(
      acme.filter((e) => e.errorCode === 'SCORER_UNAVAILABLE').length,
      1,
      'its own replaces the built-in',
    );
    assert.equal(
      acme.find((e) => e.errorCode === 'SCORER_UNAVAILABLE')!.recoverySuggestion,
      'acme: ask platform for a key',
    );
    for (const other of [globex, byDefault]) {
      assert.ok(!other.some((e) => e.errorCode === 'ACME_ONLY'), 'acme’s entries are acme’s');
      assert.ok(other.some((e) => e.errorCode === 'HEARTBEAT_TIMEOUT'));
      assert.notEqual(
        other.find((e) => e.errorCode === 'SCORER_UNAVAILABLE')!.recoverySuggestion,
        'acme: ask platform for a key',
      );
    }

    // A globex failure with acme's code: stays unmatched; acme's rematch touches only acme's failures.
    const globexSame = await report('globex', 'ACME_ONLY', 'acme specific failure');
    await stored(globexSame);
    const rematched = await gql(url, 'mutation { rematchFailures(sinceHours: 1) }', {}, ACME_ADMIN);
    assert.equal(rematched.errors, undefined, JSON.stringify(rematched.errors));
    assert.equal(
      rematched.data!.rematchFailures,
      3,
      'acme’s ACME_ONLY and its two SCORER_UNAVAILABLE (now its own entry)',
    );
    const acmeOnly = await gql(
      url,
      'query($id: ID!) { failure(id: $id) { matchType category recoverySuggestion catalogEntry { errorCode } } }',
      { id: ids.acme[2] },
      ACME,
    );
    assert.deepEqual(acmeOnly.data!.failure, {
      matchType: 'EXACT',
      category: 'acme',
      recoverySuggestion: 'call the acme on-call',
      catalogEntry: { errorCode: 'ACME_ONLY' },
    });
    const scorer = (
      await gql(url, 'query($id: ID!) { failure(id: $id) { recoverySuggestion } }', { id: ids.acme[0] }, ACME)
    ).data!.failure;
    assert.equal(scorer.recoverySuggestion, 'acme: ask platform for a key');
    const globexFailures = (await gql(url, LIST, {}, GLOBEX)).data!.failures.nodes as {
      id: string;
      matchType: string;
      errorCode: string;
    }[];
    assert.equal(
      globexFailures.find((f) => f.id === globexSame)!.matchType,
      'NONE',
      'acme’s entry is not globex’s',
    );
    const globexScorer = (
      await gql(
        url,
        'query($id: ID!) { failure(id: $id) { recoverySuggestion } }',
        { id: ids.globex[0] },
        GLOBEX,
      )
    ).data!.failure;
    assert.notEqual(globexScorer.recoverySuggestion, 'acme: ask platform for a key');

    // The target of an upsert is the tenant's entry (its id); its code is in the detail.
    const audit = await catalogAudit();
    assert.deepEqual(
      audit.map((r) => [r.tenant_id, r.actor, r.action, r.target, r.detail]),
      [
        [
          'acme',
          'key:acmeadmin001',
          'catalog.entry_upserted',
          added.data!.upsertCatalogEntry.id,
          { errorCode: 'ACME_ONLY' },
        ],
        [
          'acme',
          'key:acmeadmin001',
          'catalog.entry_upserted',
          override.data!.upsertCatalogEntry.id,
          { errorCode: 'SCORER_UNAVAILABLE' },
        ],
        ['acme', 'key:acmeadmin001', 'catalog.rematched', 'failures', { sinceHours: 1, changed: 3 }],
      ],
    );
    for (const row of audit) {
      const at = new Date(row.at);
      assert.ok(at >= since && at <= new Date(), `when: stamped at the change, not ${row.at}`);
    }
  });

  it('failureRecorded delivers each tenant’s failures to that tenant only', async () => {
    const wsUrl = url.replace(/^http/, 'ws');
    const clients = (['acme', 'globex'] as const).map((tenant) =>
      createClient({
        url: wsUrl,
        connectionParams: { 'x-assay-context': signedContext(tenant, ['read']) },
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      }),
    );
    const received: Record<string, string[]> = { acme: [], globex: [] };
    const sent: Record<string, string[]> = { acme: [], globex: [] };
    const readers = (['acme', 'globex'] as const).map((tenant, i) =>
      (async () => {
        const events = clients[i]!.iterate<{ failureRecorded: { id: string } }>({
          query: 'subscription { failureRecorded(filter: { service: "scoring" }) { id errorCode } }',
        });
        for await (const event of events) {
          if (event.errors) throw new Error(JSON.stringify(event.errors));
          received[tenant]!.push(event.data!.failureRecorded.id);
        }
      })(),
    );
    try {
      // No acknowledgement says a subscription is live: both tenants report until both have heard.
      for (let i = 0; received.acme!.length === 0 || received.globex!.length === 0; i++) {
        assert.ok(i < 50, `failureRecorded never delivered: ${JSON.stringify(received)}`);
        for (const tenant of ['acme', 'globex'] as const)
          sent[tenant]!.push(await report(tenant, 'LLM_REFUSED', `live ${i}`, randomUUID()));
        await sleep(200);
      }
      for (const id of [...sent.acme!, ...sent.globex!]) await stored(id);
      await sleep(500); // anything published for the other tenant would have arrived by now
      for (const tenant of ['acme', 'globex'] as const) {
        assert.ok(received[tenant]!.length > 0);
        assert.ok(
          received[tenant]!.every((id) => sent[tenant]!.includes(id)),
          `${tenant} heard only its own: ${JSON.stringify({ received, sent })}`,
        );
      }
    } finally {
      for (const c of clients) await c.dispose();
      await Promise.allSettled(readers);
    }
  });
});
