import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gql, startTestService } from '@assay/kit/testing';
import { failureCatalogService } from '../src/app.ts';
import { createCatalogServices } from '../src/catalog-services.ts';
import type { FailureService } from '../src/failures/failure.service.ts';

// Failures grouped like Sentry issues: by service, code and the message with ids and numbers taken out.

const GROUPS = `query($f: FailureGroupFilter) { failureGroups(filter: $f, first: 50) {
  nodes { id service errorCode count runsAffected status } } }`;
const RECOVER = `mutation($id: ID!, $s: RecoveryStatus!) { updateFailureGroupRecovery(id: $id, input: { status: $s }) { id status } }`;

describe('failure groups (real PostgreSQL)', { timeout: 120_000 }, () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  let failures: FailureService;
  before(async () => {
    service = await startTestService(failureCatalogService);
    ({ failures } = createCatalogServices(service.orm));
  });
  after(() => service.stopAndDrop());

  it('1,000 failures whose messages differ only in ids and numbers form the three expected groups', async () => {
    // 40 runs, taken in turn: each kind of failure (i % 4) lands on the 10 runs i % 40 allows, two kinds on 20.
    const runs = Array.from({ length: 40 }, () => randomUUID());
    for (let i = 0; i < 1000; i++) {
      const runId = runs[i % runs.length]!;
      const kind = i % 4;
      await failures.record({
        tenantId: 'default',
        ...(kind === 0
          ? {
              runId,
              service: 'scoring',
              errorCode: 'LLM_REQUEST_FAILED',
              errorMessage: `LLM request failed: timeout after ${i} attempts`,
            }
          : kind === 1
            ? {
                runId,
                service: 'review',
                errorCode: 'LLM_REQUEST_FAILED',
                errorMessage: `LLM request failed: timeout after ${i} attempts`,
              }
            : {
                runId,
                service: 'scoring',
                errorCode: 'HEARTBEAT_TIMEOUT',
                errorMessage: `run ${runId} made no progress for ${100 + i} s`,
              }),
      });
    }
    const groups = (await gql(service.url, GROUPS)).data!.failureGroups.nodes as {
      service: string;
      errorCode: string;
      count: number;
      runsAffected: number;
    }[];
    const summary = groups.map((g) => `${g.service}/${g.errorCode}:${g.count}:${g.runsAffected}`).sort();
    assert.deepEqual(summary, [
      'review/LLM_REQUEST_FAILED:250:10',
      'scoring/HEARTBEAT_TIMEOUT:500:20',
      'scoring/LLM_REQUEST_FAILED:250:10',
    ]);
  });

  it('a recovered group that occurs again is REGRESSED, naming the occurrence; REGRESSED cannot be set by hand', async () => {
    const report = {
      tenantId: 'default',
      service: 'scoring',
      errorCode: 'DISK_FULL',
      errorMessage: 'no space left on /var/data 3',
    };
    await failures.record({ ...report, runId: randomUUID() });
    const [group] = (await gql(service.url, GROUPS, { f: { errorCode: 'DISK_FULL' } })).data!.failureGroups
      .nodes;
    const recovered = await gql(service.url, RECOVER, { id: group.id, s: 'RECOVERED' });
    assert.equal(recovered.errors, undefined, JSON.stringify(recovered.errors));
    assert.equal(recovered.data!.updateFailureGroupRecovery.status, 'RECOVERED');
    const again = randomUUID();
    await failures.record({ ...report, id: again, errorMessage: 'no space left on /var/data 7' });
    const after = await gql(service.url, 'query($id: ID!) { failureGroup(id: $id) { status count } }', {
      id: group.id,
    });
    assert.deepEqual(after.data!.failureGroup, { status: 'REGRESSED', count: 2 });
    const [row] = await service.orm.em
      .fork()
      .execute<{ regressed_by_id: string }[]>(
        'select regressed_by_id from failure_catalog.failure_group where id = ?',
        [group.id],
      );
    assert.equal(row!.regressed_by_id, again);
    const byHand = await gql(service.url, RECOVER, { id: group.id, s: 'REGRESSED' });
    assert.equal(byHand.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const unknown = await gql(service.url, RECOVER, { id: randomUUID(), s: 'IGNORED' });
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const malformed = await gql(service.url, RECOVER, { id: 'nope', s: 'IGNORED' });
    assert.equal(malformed.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('a failure delivered twice counts once', async () => {
    const id = randomUUID();
    const report = {
      id,
      tenantId: 'default',
      service: 'review',
      errorCode: 'LLM_REFUSED',
      errorMessage: 'refused',
    };
    assert.equal((await failures.record(report))?.id, id);
    assert.equal(await failures.record(report), null, 'delivered before');
    const [group] = (await gql(service.url, GROUPS, { f: { errorCode: 'LLM_REFUSED' } })).data!.failureGroups
      .nodes;
    assert.equal(group.count, 1);
  });
});
