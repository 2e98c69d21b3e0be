import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gql, startTestService } from '@assay/kit/testing';
import { reviewService } from '../src/app.ts';

const START = `mutation($input: StartReviewInput!) {
  startReview(input: $input) { id status runType model idea progressPct parentRun { id } } }`;

describe('review runs (real PostgreSQL)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  before(async () => {
    service = await startTestService(reviewService);
  });
  after(() => service.stopAndDrop());

  it('starts a review that says which model reviews it, and reads it back', async () => {
    const started = await gql(service.url, START, { input: { idea: 'Cache scores per commit' } });
    assert.equal(started.errors, undefined);
    const run = started.data!.startReview;
    assert.deepEqual(
      { ...run, id: undefined },
      {
        id: undefined,
        status: 'QUEUED',
        runType: 'INITIAL',
        model: 'offline-heuristic',
        idea: 'Cache scores per commit',
        progressPct: 0,
        parentRun: null,
      },
    );
    const read = await gql(service.url, 'query($id: ID!) { reviewRun(id: $id) { id idea } }', { id: run.id });
    assert.deepEqual(read.data!.reviewRun, { id: run.id, idea: 'Cache scores per commit' });
  });

  it('is idempotent by key and rejects a blank idea', async () => {
    const input = { idea: 'Same', idempotencyKey: 'k-1' };
    const a = (await gql(service.url, START, { input })).data!.startReview.id;
    const b = (await gql(service.url, START, { input })).data!.startReview.id;
    assert.equal(a, b);
    const blank = await gql(service.url, START, { input: { idea: '  ' } });
    assert.equal(blank.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('lists runs newest first', async () => {
    const list = await gql(service.url, '{ reviewRuns(first: 10) { nodes { idea } } }');
    assert.deepEqual(
      list.data!.reviewRuns.nodes.map((n: { idea: string }) => n.idea),
      ['Same', 'Cache scores per commit'],
    );
  });

  it('concurrent starts with one idempotency key all answer the same run, none an internal error', async () => {
    const input = { idea: 'Race for one key', idempotencyKey: 'raced-key' };
    const results = await Promise.all(Array.from({ length: 10 }, () => gql(service.url, START, { input })));
    assert.deepEqual(
      results.flatMap((r) => r.errors ?? []),
      [],
    );
    assert.equal(new Set(results.map((r) => r.data!.startReview.id)).size, 1);
  });
});
