import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gql, startTestService } from '@assay/kit/testing';
import { failureCatalogService } from '../src/app.ts';
import { createCatalogServices } from '../src/catalog-services.ts';
import { type FailureService, fingerprint } from '../src/failures/failure.service.ts';

const UPSERT = `mutation($input: CatalogEntryInput!) {
  upsertCatalogEntry(input: $input) { id errorCode title category severity retryable recoverySuggestion } }`;

describe('failure catalog (real PostgreSQL)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  let failures: FailureService;
  before(async () => {
    service = await startTestService(failureCatalogService);
    ({ failures } = createCatalogServices(service.orm));
  });
  after(() => service.stopAndDrop());

  it('upserts catalog entries by error code without duplicating them', async () => {
    const input = { errorCode: 'DB_CONNECTION_LOST', title: 'Database went away', category: 'database' };
    const first = (await gql(service.url, UPSERT, { input })).data!.upsertCatalogEntry;
    const second = (
      await gql(service.url, UPSERT, {
        input: { ...input, severity: 'HIGH', retryable: true, recoverySuggestion: 'retry' },
      })
    ).data!.upsertCatalogEntry;
    assert.equal(second.id, first.id);
    assert.equal(second.severity, 'HIGH');
    assert.equal(second.retryable, true);
    const entries = (await gql(service.url, '{ catalogEntries { errorCode } }')).data!.catalogEntries;
    assert.equal(
      entries.filter((e: { errorCode: string }) => e.errorCode === 'DB_CONNECTION_LOST').length,
      1,
    );
    assert.ok(
      entries.some((e: { errorCode: string }) => e.errorCode === 'HEARTBEAT_TIMEOUT'),
      'the shipped catalog is loaded',
    );
  });

  it('rejects a malformed error code', async () => {
    const result = await gql(service.url, UPSERT, {
      input: { errorCode: 'lower case', title: 't', category: 'c' },
    });
    assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(result.errors![0]!.message, /UPPER_SNAKE_CASE/);
  });

  it('matches a recorded failure to its catalog entry and serves it on the run entity', async () => {
    const runId = '0b7e7d3c-1f7a-4c55-a0a4-3c6d5f0e9a11';
    const entry = { errorCode: 'DB_CONNECTION_LOST', title: 'Database went away', category: 'database' };
    await gql(service.url, UPSERT, {
      input: { ...entry, severity: 'HIGH', retryable: true, recoverySuggestion: 'retry' },
    });
    const recorded = await failures.record({
      tenantId: 'default',
      runId,
      service: 'scoring',
      errorCode: 'DB_CONNECTION_LOST',
      errorMessage: 'connection 1234 reset',
    });
    await failures.record({ tenantId: 'default', runId, service: 'scoring', errorCode: 'SOMETHING_NEW' });
    assert.ok(recorded, 'stored as new');

    const result = await gql(
      service.url,
      `query($r: [_Any!]!) { _entities(representations: $r) {
        ... on ScoringRun { id failures { errorCode matchType matchConfidence severity retryable recoverySuggestion
          catalogEntry { errorCode } } } } }`,
      { r: [{ __typename: 'ScoringRun', id: runId }] },
    );
    assert.equal(result.errors, undefined);
    assert.deepEqual(result.data!._entities[0].failures, [
      {
        errorCode: 'DB_CONNECTION_LOST',
        matchType: 'EXACT',
        matchConfidence: 1,
        severity: 'HIGH',
        retryable: true,
        recoverySuggestion: 'retry',
        catalogEntry: { errorCode: 'DB_CONNECTION_LOST' },
      },
      {
        errorCode: 'SOMETHING_NEW',
        matchType: 'NONE',
        matchConfidence: 0,
        severity: null,
        retryable: false,
        recoverySuggestion: null,
        catalogEntry: null,
      },
    ]);
  });

  it('fingerprints the same failure on different runs alike', () => {
    assert.equal(
      fingerprint('scoring', 'TIMEOUT', 'run 3f2a9c1e-0000-4000-8000-000000000001 timed out after 30000 ms'),
      fingerprint('scoring', 'TIMEOUT', 'run 9d8e7f6a-1111-4111-8111-111111111111 timed out after 45000 ms'),
    );
    assert.notEqual(fingerprint('scoring', 'TIMEOUT', 'x'), fingerprint('review', 'TIMEOUT', 'x'));
  });

  it('filters and pages failures', async () => {
    const page = await gql(
      service.url,
      '{ failures(filter: { errorCode: "SOMETHING_NEW" }, first: 5) { nodes { errorCode service } pageInfo { hasNextPage } } }',
    );
    assert.deepEqual(page.data!.failures, {
      nodes: [{ errorCode: 'SOMETHING_NEW', service: 'scoring' }],
      pageInfo: { hasNextPage: false },
    });
  });
});
