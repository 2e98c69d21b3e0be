import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gql, startTestService } from '@assay/kit/testing';
import { failureCatalogService } from '../../services/failure-catalog/src/app.ts';
import { reviewService } from '../../services/review/src/app.ts';
import { scoringService } from '../../services/scoring/src/app.ts';

// Text PostgreSQL cannot store exactly is the client's mistake at every API (issue 9, defect 0):
// on 0e3943f scoring answered QUEUED/SPOOLED and jammed its spool; review and catalog said INTERNAL.

const DIFF = 'diff --git a/x.ts b/x.ts\n--- a/x.ts\n+++ b/x.ts\n@@ -1 +1 @@\n-a\n+b\n';
const START_RUN = `mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id status } }`;

type Service = Awaited<ReturnType<typeof startTestService>>;

function assertRefused(result: Awaited<ReturnType<typeof gql>>, field: string, what: RegExp) {
  assert.equal(result.data, null);
  assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result.errors));
  assert.match(result.errors![0]!.message, new RegExp(`^${field.replaceAll('.', '\\.')} contains`));
  assert.match(result.errors![0]!.message, what);
}

describe('input PostgreSQL cannot store is BAD_USER_INPUT, naming the field', () => {
  let scoring: Service;
  let review: Service;
  let catalog: Service;
  before(async () => {
    [scoring, review, catalog] = await Promise.all([
      startTestService(scoringService, { ASSAY_SCORING_CONCURRENCY: '0' }),
      startTestService(reviewService),
      startTestService(failureCatalogService),
    ]);
  });
  after(() => Promise.all([scoring, review, catalog].map((s) => s?.stopAndDrop())));

  const subject = { repository: 'acme/api', diff: DIFF, title: 'Fix' };
  for (const [field, input] of [
    ['input.subject.diff', { subject: { ...subject, diff: `${DIFF}+\u0000\n` } }],
    ['input.subject.title', { subject: { ...subject, title: 'a\u0000b' } }],
    ['input.idempotencyKey', { subject, idempotencyKey: 'ci-\u0000' }],
  ] as const) {
    it(`scoring: U+0000 in ${field}`, async () => {
      assertRefused(await gql(scoring.url, START_RUN, { input }), field, /NUL character/);
    });
  }

  it('scoring: a lone surrogate in the title, and the service still takes valid runs afterwards', async () => {
    const refused = await gql(scoring.url, START_RUN, {
      input: { subject: { ...subject, title: 'x\uD800' } },
    });
    assertRefused(refused, 'input.subject.title', /unpaired UTF-16 surrogate/);
    // A surrogate pair (an emoji) is fine.
    const ok = await gql(scoring.url, START_RUN, { input: { subject: { ...subject, title: 'ship it 🚀' } } });
    assert.equal(ok.errors, undefined);
    assert.equal(ok.data!.startScoringRun.status, 'QUEUED');
    const [row] = await scoring.orm.em
      .getConnection()
      .execute('select title, persistence from scoring.scoring_run where id = ?', [
        ok.data!.startScoringRun.id,
      ]);
    assert.deepEqual(row, { title: 'ship it 🚀', persistence: 'PENDING' });
    assert.equal(scoring.writer.spool.depth, 0);
  });

  it('review: U+0000 in the idea', async () => {
    const result = await gql(
      review.url,
      'mutation($input: StartReviewInput!) { startReview(input: $input) { id } }',
      {
        input: { idea: 'Cache\u0000 scores' },
      },
    );
    assertRefused(result, 'input.idea', /NUL character/);
  });

  it('failure catalog: U+0000 in a filter', async () => {
    const result = await gql(
      catalog.url,
      'query($code: String) { failures(filter: { errorCode: $code }) { nodes { id } } }',
      { code: 'DB_\u0000' },
    );
    assertRefused(result, 'filter.errorCode', /NUL character/);
  });
});
