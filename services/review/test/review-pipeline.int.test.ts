import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '@assay/kit';
import { createTestDatabase, FakeOpenAI, gql, startReplica } from '@assay/kit/testing';
import pg from 'pg';
import { reviewService } from '../src/app.ts';
import { askedOf, follow, PERSONAS, panel, RUN, START, verdict } from './support.ts';

// The review pipeline against a real PostgreSQL, pg-boss and a fake OpenAI server (a real local
// HTTP server speaking the Responses API): one expansion, five personas, a decision.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let openai: FakeOpenAI;
let service: RunningService;
before(async () => {
  db = await createTestDatabase();
  openai = await FakeOpenAI.start();
  service = await startReplica(reviewService, db.url, {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: openai.url,
    ASSAY_LLM_TIMEOUT_MS: '1000',
    ASSAY_REVIEW_PERSONA_RETRIES: '2',
    ASSAY_WATCHDOG_INTERVAL_MS: '500',
  });
});
after(async () => {
  await service?.stop();
  await openai?.close();
  await db?.drop();
});
beforeEach(() => openai.reset());

let n = 0;
async function review(idea = 'Cache scores per commit so that re-runs are free.') {
  const started = await gql(service.url, START, {
    input: { idea, idempotencyKey: `k-${++n}-${Date.now()}` },
  });
  assert.equal(started.errors, undefined, JSON.stringify(started.errors));
  return started.data!.startReview.id as string;
}

async function finished(id: string) {
  for (let i = 0; i < 300; i++) {
    const run = (await gql(service.url, RUN, { id })).data!.reviewRun;
    if (!['QUEUED', 'RUNNING'].includes(run.status)) return run;
    await sleep(100);
  }
  throw new Error(`run ${id} did not finish`);
}

describe('review pipeline (real PostgreSQL, pg-boss, fake OpenAI)', { timeout: 120_000 }, () => {
  it('expands, asks five personas, decides: each step published in order, everything stored, six model calls', async () => {
    openai.otherwise(panel({}, 50));
    const id = await review();
    const events = await follow(service.url, id);
    const kinds = events.map((e) => e.event ?? e.status);
    assert.equal(kinds.at(-1), 'COMPLETED');
    const expanded = kinds.indexOf('EXPANDED');
    const personaEvents = events.filter((e) => e.event === 'PERSONA_FINISHED');
    assert.ok(expanded >= 0, `no EXPANDED in ${kinds}`);
    assert.deepEqual(personaEvents.map((e) => e.personaId).sort(), PERSONAS.map((p) => p.id).sort());
    assert.ok(kinds.indexOf('PERSONA_STARTED') > expanded, `personas before the proposal: ${kinds}`);
    assert.ok(kinds.lastIndexOf('PERSONA_FINISHED') < kinds.indexOf('COMPLETED'));
    const pcts = events.map((e) => e.progressPct);
    assert.deepEqual(
      pcts,
      [...pcts].sort((a, b) => a - b),
      'progress never goes back',
    );

    const run = (await gql(service.url, RUN, { id })).data!.reviewRun;
    assert.equal(run.status, 'COMPLETED');
    assert.equal(run.proposal.version, 1);
    assert.equal(run.proposal.proposal.title, 'Cache scores per commit');
    assert.equal(run.personaReviews.length, 5);
    assert.ok(
      run.personaReviews.every(
        (r: { confidence: number; attemptCount: number }) => r.confidence === 0.9 && r.attemptCount === 1,
      ),
    );
    assert.deepEqual(
      {
        label: run.decision.label,
        confidence: run.decision.overallWeightedConfidence,
        partial: run.decision.partial,
      },
      { label: 'APPROVE', confidence: 0.9, partial: false },
    );
    assert.equal(openai.requests.length, 6, 'one expansion and one call per persona');
  });

  it('one persona failing every time: COMPLETED partial, naming it; its failure kept with its code', async () => {
    openai.otherwise(panel({ cost: { kind: 'error', status: 500 } }));
    const run = await finished(await review());
    assert.equal(run.status, 'COMPLETED', JSON.stringify(run.error));
    assert.equal(run.decision.partial, true);
    assert.deepEqual(run.decision.missingPersonas, ['cost']);
    const cost = run.personaReviews.find((r: { personaId: string }) => r.personaId === 'cost');
    assert.deepEqual(
      { verdict: cost.verdict, code: cost.error.code, attempts: cost.attemptCount },
      { verdict: 'FAILED', code: 'LLM_REQUEST_FAILED', attempts: 3 },
    );
    assert.equal(
      openai.requests.filter((r) => askedOf(r) === 'cost').length,
      3,
      'the first call and two retries',
    );
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const outboxed = (
      await client.query('select stage, error_code from review.failure_outbox where run_id = $1', [run.id])
    ).rows;
    await client.end();
    assert.deepEqual(
      outboxed,
      [{ stage: 'persona:cost', error_code: 'LLM_REQUEST_FAILED' }],
      'one failure for the catalog',
    );
  });

  it('three personas failing: FAILED below quorum, with the two reviews that succeeded kept', async () => {
    const down = { kind: 'error' as const, status: 503 };
    openai.otherwise(panel({ architect: down, security: down, reliability: down }));
    const run = await finished(await review());
    assert.equal(run.status, 'FAILED');
    assert.equal(run.error.code, 'REVIEW_QUORUM_NOT_MET');
    assert.equal(run.decision, null);
    const kept = run.personaReviews
      .filter((r: { error: unknown }) => r.error === null)
      .map((r: { personaId: string }) => r.personaId);
    assert.deepEqual(kept.sort(), ['cost', 'product']);
  });

  it('429 with retry-after, a timeout and invalid JSON once are each retried and still complete', async () => {
    openai.otherwise(
      panel({
        architect: (nth) =>
          nth === 1 ? { kind: 'error', status: 429, retryAfter: 1 } : { kind: 'json', output: verdict(0.8) },
        security: (nth) => (nth === 1 ? { kind: 'hang' } : { kind: 'json', output: verdict(0.8) }),
        product: (nth) =>
          nth === 1
            ? { kind: 'text', text: '{"confidence": "high"' }
            : { kind: 'json', output: verdict(0.8) },
      }),
    );
    const run = await finished(await review());
    assert.equal(run.status, 'COMPLETED', JSON.stringify(run.error));
    const attempts = Object.fromEntries(
      run.personaReviews.map((r: { personaId: string; attemptCount: number }) => [
        r.personaId,
        r.attemptCount,
      ]),
    );
    assert.deepEqual(attempts, { architect: 2, security: 2, reliability: 1, product: 2, cost: 1 });
    const architect = openai.requests.filter((r) => askedOf(r) === 'architect');
    assert.ok(architect[1]!.receivedAt - architect[0]!.receivedAt >= 1000, 'retry-after (1 s) was waited');
    const product = openai.requests.filter((r) => askedOf(r) === 'product');
    assert.match(
      String((product[1]!.body as { input: string }).input),
      /previous answer was rejected: .*not JSON/,
    );
    assert.equal(run.decision.partial, false);
  });

  it('401 is not retried: the run FAILS at once with a coded, non-retryable error', async () => {
    openai.otherwise({ kind: 'error', status: 401 });
    const run = await finished(await review());
    assert.equal(run.status, 'FAILED');
    assert.deepEqual(
      { code: run.error.code, retryable: run.error.retryable },
      { code: 'LLM_REQUEST_FAILED', retryable: false },
    );
    assert.match(run.error.message, /unauthorized/);
    assert.equal(openai.requests.length, 1, 'the expansion, once');
  });

  it('a revision that addresses a blocking issue: the delta reports it resolved and the confidence change', async () => {
    const issue = 'Say who may read cached scores.';
    openai.otherwise(
      panel({
        security: {
          kind: 'json',
          output: verdict(0.5, {
            blockingIssues: [issue],
            securityConcerns: ['cached scores readable by anyone'],
            securityBlocking: true,
          }),
        },
      }),
    );
    const parent = await finished(await review());
    assert.equal(parent.decision.label, 'REVISE');
    openai.reset();
    openai.otherwise(panel({ security: { kind: 'json', output: verdict(0.85) } }));
    const revised = await gql(
      service.url,
      'mutation($id: ID!, $input: ReviseReviewInput!) { reviseReview(runId: $id, input: $input) { id runType } }',
      {
        id: parent.id,
        input: { editNotes: 'Only the tenant’s own keys read them.', addressedIssues: [issue] },
      },
    );
    assert.equal(revised.errors, undefined, JSON.stringify(revised.errors));
    assert.equal(revised.data!.reviseReview.runType, 'REVISION');
    const child = await finished(revised.data!.reviseReview.id);
    assert.equal(child.status, 'COMPLETED', JSON.stringify(child.error));
    assert.equal(child.parentRun.id, parent.id);
    assert.equal(child.proposal.version, 2);
    assert.deepEqual(child.delta.resolvedIssues, [issue]);
    assert.deepEqual(child.delta.openIssues, []);
    assert.equal(child.delta.decisionChanged, true);
    const security = child.delta.confidenceChanges.find(
      (c: { personaId: string }) => c.personaId === 'security',
    );
    assert.deepEqual(security, { personaId: 'security', before: 0.5, after: 0.85, change: 0.35 });
    const listed = (await gql(service.url, RUN, { id: parent.id })).data!.reviewRun;
    assert.deepEqual(listed.revisions, [{ id: child.id }]);
  });

  it('bad input gets coded errors, never a 5xx', async () => {
    const code = async (query: string, variables: Record<string, unknown>) =>
      (await gql(service.url, query, variables)).errors?.[0]?.extensions?.code;
    assert.equal(await code(START, { input: { idea: '   ' } }), 'BAD_USER_INPUT');
    assert.equal(await code(START, { input: { idea: 'x'.repeat(1024 * 1024) } }), 'BAD_USER_INPUT');
    assert.equal(await code(RUN, { id: 'not-a-uuid' }), 'BAD_USER_INPUT');
    const revise = 'mutation($id: ID!) { reviseReview(runId: $id, input: { editNotes: "more" }) { id } }';
    assert.equal(await code(revise, { id: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND');
    const cancel = 'mutation($id: ID!) { cancelReview(runId: $id) { id status } }';
    openai.otherwise(panel({}, 3000));
    const running = await review();
    assert.equal(await code(revise, { id: running }), 'BAD_USER_INPUT');
    const cancelled = await gql(service.url, cancel, { id: running });
    assert.equal(cancelled.data?.cancelReview.status, 'CANCELLED');
    assert.equal(await code(cancel, { id: running }), 'BAD_USER_INPUT');
    const key = { idea: 'One idea', idempotencyKey: 'same-key' };
    await gql(service.url, START, { input: key });
    assert.equal(await code(START, { input: { ...key, idea: 'Another idea' } }), 'BAD_USER_INPUT');
  });
});
