import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gql, startTestService } from '@assay/kit/testing';
import { failureCatalogService } from '../src/app.ts';
import { createCatalogServices } from '../src/catalog-services.ts';
import type { FailureService } from '../src/failures/failure.service.ts';

// The recovery workflow and the queries an on-call engineer uses, against real PostgreSQL.

const RECOVER = `mutation($id: ID!, $input: RecoveryUpdateInput!) { updateFailureRecovery(id: $id, input: $input) {
  id recoveryStatus recoveredBy recoveryNotes recoveredAt
  recoveryHistory { fromStatus toStatus note changedBy changedAt } } }`;
const LIST = `query($f: FailureFilter, $first: Int, $after: String) { failures(filter: $f, first: $first, after: $after) {
  nodes { id errorCode } pageInfo { hasNextPage endCursor } } }`;

describe('failure recovery and queries (real PostgreSQL)', { timeout: 120_000 }, () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  let failures: FailureService;
  before(async () => {
    service = await startTestService(failureCatalogService);
    ({ failures } = createCatalogServices(service.orm));
  });
  after(() => service.stopAndDrop());

  const record = async (fields: Partial<Parameters<FailureService['record']>[0]> = {}) =>
    (await failures.record({
      tenantId: 'default',
      service: 'scoring',
      errorCode: 'LLM_REQUEST_FAILED',
      runId: randomUUID(),
      ...fields,
    }))!;

  it('updateFailureRecovery keeps an append-only history and refuses impossible transitions', async () => {
    const { id } = await record({ errorMessage: 'timeout after 3 attempts' });
    const recovered = await gql(service.url, RECOVER, {
      id,
      input: { status: 'RECOVERED', note: 'provider back', by: 'ana' },
    });
    assert.equal(recovered.errors, undefined, JSON.stringify(recovered.errors));
    const failure = recovered.data!.updateFailureRecovery;
    assert.equal(failure.recoveryStatus, 'RECOVERED');
    assert.equal(failure.recoveredBy, 'ana');
    assert.equal(failure.recoveryNotes, 'provider back');
    assert.ok(failure.recoveredAt);

    const ignored = await gql(service.url, RECOVER, { id, input: { status: 'IGNORED' } });
    assert.equal(ignored.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(ignored.errors![0]!.message, /is RECOVERED: it can become UNRECOVERED, not IGNORED/);
    const same = await gql(service.url, RECOVER, { id, input: { status: 'RECOVERED' } });
    assert.equal(same.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const regressed = await gql(service.url, RECOVER, { id, input: { status: 'REGRESSED' } });
    assert.equal(regressed.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');

    const reopened = (
      await gql(service.url, RECOVER, { id, input: { status: 'UNRECOVERED', note: 'back again' } })
    ).data!.updateFailureRecovery;
    assert.equal(reopened.recoveredAt, null);
    assert.deepEqual(
      reopened.recoveryHistory.map((c: Record<string, string>) => [
        c.fromStatus,
        c.toStatus,
        c.changedBy,
        c.note,
      ]),
      [
        ['UNRECOVERED', 'RECOVERED', 'ana', 'provider back'],
        ['RECOVERED', 'UNRECOVERED', 'anonymous', 'back again'],
      ],
    );
    const sql = service.orm.em.getConnection();
    await assert.rejects(
      sql.execute(`update failure_catalog.recovery_change set note = 'rewritten' where failure_id = ?`, [id]),
      /append-only/,
    );
    await assert.rejects(
      sql.execute('delete from failure_catalog.recovery_change where failure_id = ?', [id]),
      /append-only/,
    );
  });

  it('bad ids and bad input are coded client errors', async () => {
    const unknown = await gql(service.url, RECOVER, { id: randomUUID(), input: { status: 'IGNORED' } });
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const malformed = await gql(service.url, RECOVER, { id: 'nope', input: { status: 'IGNORED' } });
    assert.equal(malformed.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const longNote = await gql(service.url, RECOVER, {
      id: randomUUID(),
      input: { status: 'IGNORED', note: 'x'.repeat(2001) },
    });
    assert.equal(longNote.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const huge = await gql(service.url, LIST, { first: 10_000 });
    assert.equal(huge.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const backwards = await gql(service.url, LIST, {
      f: { since: '2026-12-02T00:00:00Z', until: '2026-12-01T00:00:00Z' },
    });
    assert.equal(backwards.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const badEnum = await gql(service.url, LIST, { f: { severity: 'APOCALYPTIC' } });
    assert.equal(badEnum.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const badCursor = await gql(service.url, LIST, { after: 'not-a-cursor' });
    assert.equal(badCursor.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const badHours = await gql(service.url, '{ failureStats(sinceHours: 0) { total } }');
    assert.equal(badHours.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const unknownFailure = await gql(service.url, 'query($id: ID!) { failure(id: $id) { id } }', {
      id: randomUUID(),
    });
    assert.equal(unknownFailure.data!.failure, null);
  });

  it('a group recovered by hand changes every occurrence, each with its history', async () => {
    const message = 'no space left on /var/data';
    const ids = [
      (await record({ errorCode: 'DISK_FULL', errorMessage: `${message} 1` })).id,
      (await record({ errorCode: 'DISK_FULL', errorMessage: `${message} 2` })).id,
    ];
    const [group] = (
      await gql(service.url, '{ failureGroups(filter: { errorCode: "DISK_FULL" }) { nodes { id count } } }')
    ).data!.failureGroups.nodes;
    assert.equal(group.count, 2);
    const set = await gql(
      service.url,
      'mutation($id: ID!) { updateFailureGroupRecovery(id: $id, input: { status: IGNORED, by: "bo", note: "known" }) { status } }',
      { id: group.id },
    );
    assert.equal(set.data!.updateFailureGroupRecovery.status, 'IGNORED');
    for (const id of ids) {
      const failure = (
        await gql(
          service.url,
          'query($id: ID!) { failure(id: $id) { recoveryStatus recoveryHistory { toStatus changedBy } } }',
          { id },
        )
      ).data!.failure;
      assert.deepEqual(failure, {
        recoveryStatus: 'IGNORED',
        recoveryHistory: [{ toStatus: 'IGNORED', changedBy: 'bo' }],
      });
    }
    const again = await gql(
      service.url,
      'mutation($id: ID!) { updateFailureGroupRecovery(id: $id, input: { status: IGNORED }) { status } }',
      { id: group.id },
    );
    assert.equal(again.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('every filter narrows; pages follow the cursor; unrecoveredFailures and failureStats count what is there', async () => {
    const runId = randomUUID();
    const tag = randomUUID().slice(0, 8);
    const mine = [
      await record({ runId, service: 'review', errorCode: `Z_${tag}_A`, errorMessage: 'first' }),
      await record({ runId, service: 'review', errorCode: `Z_${tag}_A`, errorMessage: 'second' }),
      await record({ runId, service: 'review', errorCode: 'LLM_REFUSED', errorMessage: 'refused' }),
    ];
    const ids = async (f: Record<string, unknown>) =>
      ((await gql(service.url, LIST, { f, first: 100 })).data!.failures.nodes as { id: string }[]).map(
        (n) => n.id,
      );
    assert.deepEqual((await ids({ runId })).sort(), mine.map((m) => m.id).sort());
    assert.deepEqual(await ids({ runId, errorCode: 'LLM_REFUSED' }), [mine[2]!.id]);
    assert.deepEqual(await ids({ runId, matchType: 'EXACT' }), [mine[2]!.id]);
    assert.deepEqual(await ids({ runId, severity: 'LOW' }), [mine[2]!.id]);
    assert.deepEqual(await ids({ runId, category: 'llm' }), [mine[2]!.id]);
    assert.deepEqual((await ids({ runId, matchType: 'NONE' })).length, 2);
    assert.deepEqual(await ids({ runId, service: 'scoring' }), []);
    assert.deepEqual(await ids({ runId, until: '2000-01-01T00:00:00Z' }), []);
    assert.equal((await ids({ runId, since: new Date(Date.now() - 60_000).toISOString() })).length, 3);

    const first = (await gql(service.url, LIST, { f: { runId }, first: 2 })).data!.failures;
    assert.equal(first.nodes.length, 2);
    assert.equal(first.pageInfo.hasNextPage, true);
    const rest = (await gql(service.url, LIST, { f: { runId }, first: 2, after: first.pageInfo.endCursor }))
      .data!.failures;
    assert.equal(rest.nodes.length, 1);
    assert.equal(new Set([...first.nodes, ...rest.nodes].map((n: { id: string }) => n.id)).size, 3);

    await gql(service.url, RECOVER, { id: mine[2]!.id, input: { status: 'RECOVERED' } });
    const unrecovered = (
      await gql(
        service.url,
        '{ unrecoveredFailures(category: "llm", first: 100) { nodes { id recoveryStatus } } }',
      )
    ).data!.unrecoveredFailures.nodes as { id: string; recoveryStatus: string }[];
    assert.ok(unrecovered.every((n) => n.recoveryStatus === 'UNRECOVERED'));
    assert.ok(!unrecovered.some((n) => n.id === mine[2]!.id));

    const [totals] = await service.orm.em
      .getConnection()
      .execute<{ total: string; matched: string; recovered: string }[]>(
        `select count(*) as total, count(*) filter (where match_type <> 'NONE') as matched,
           count(*) filter (where recovery_status = 'RECOVERED') as recovered from failure_catalog.failure_match`,
      );
    const stats = (
      await gql(
        service.url,
        `{ failureStats { sinceHours total matched matchRate recovered recoveryRate meanTimeToRecoverySeconds
           topCodes { key count } topCategories { key count } topGroups { group { errorCode } count } } }`,
      )
    ).data!.failureStats;
    assert.equal(stats.sinceHours, 24);
    assert.equal(stats.total, Number(totals!.total));
    assert.equal(stats.matched, Number(totals!.matched));
    assert.equal(stats.recovered, Number(totals!.recovered));
    assert.equal(stats.matchRate, stats.matched / stats.total);
    assert.equal(stats.recoveryRate, stats.recovered / stats.total);
    assert.ok(stats.meanTimeToRecoverySeconds >= 0);
    assert.ok(stats.topCodes.length > 0 && stats.topCodes.length <= 5);
    assert.ok(stats.topCodes[0].count >= stats.topCodes.at(-1).count, 'most frequent first');
    assert.ok(stats.topCategories.some((c: { key: string }) => c.key === 'uncatalogued'));
    assert.equal(stats.topGroups[0].count, stats.topCodes[0].count);
  });
  it('upsertCatalogEntry refuses a pattern that does not compile; rematchFailures applies a new entry to stored failures', async () => {
    const UPSERT = 'mutation($input: CatalogEntryInput!) { upsertCatalogEntry(input: $input) { errorCode } }';
    const broken = await gql(service.url, UPSERT, {
      input: { errorCode: 'ZZ_BROKEN', title: 'x', category: 'x', messagePattern: '(unclosed' },
    });
    assert.equal(broken.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(broken.errors![0]!.message, /does not compile/);
    const evil = await gql(service.url, UPSERT, {
      input: { errorCode: 'ZZ_EVIL', title: 'x', category: 'x', messagePattern: '(a+)+$' },
    });
    assert.equal(evil.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');

    const { id } = await record({ errorCode: 'ZZ_NEW_THING', errorMessage: 'something new' });
    const before = await gql(service.url, 'query($id: ID!) { failure(id: $id) { matchType } }', { id });
    assert.equal(before.data!.failure.matchType, 'NONE');
    const added = await gql(service.url, UPSERT, {
      input: { errorCode: 'ZZ_NEW_THING', title: 'A new thing', category: 'platform', severity: 'HIGH' },
    });
    assert.equal(added.errors, undefined, JSON.stringify(added.errors));
    const changed = await gql(service.url, 'mutation { rematchFailures(sinceHours: 1) }');
    assert.ok(changed.data!.rematchFailures >= 1);
    const after = await gql(
      service.url,
      'query($id: ID!) { failure(id: $id) { matchType category severity } }',
      { id },
    );
    assert.deepEqual(after.data!.failure, { matchType: 'EXACT', category: 'platform', severity: 'HIGH' });
    const badHours = await gql(service.url, 'mutation { rematchFailures(sinceHours: 100000) }');
    assert.equal(badHours.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });
});
