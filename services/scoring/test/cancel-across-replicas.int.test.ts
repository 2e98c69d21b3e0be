import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '@assay/kit';
import { createTestDatabase, FakeOpenAI, gql, startReplica } from '@assay/kit/testing';
import { scoringService } from '../src/app.ts';

// Replica A executes runs; replica B serves the API only. A run cancelled through B must stop on A
// at once: its model call is abandoned and its worker slot freed, not held until the model times out.

const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';
const START = `mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id status } }`;

describe('cancel across replicas (two scoring services, real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let openai: FakeOpenAI;
  let a: RunningService;
  let b: RunningService;

  const start = (env: NodeJS.ProcessEnv) =>
    startReplica(scoringService, database.url, {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      // Far longer than the test waits: only the cancel can end the model call in time.
      ASSAY_LLM_TIMEOUT_MS: '120000',
      ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: '300000',
      ...env,
    });

  before(async () => {
    database = await createTestDatabase();
    openai = await FakeOpenAI.start();
    a = await start({ ASSAY_SCORING_CONCURRENCY: '1' });
    b = await start({ ASSAY_SCORING_CONCURRENCY: '0' }); // after A: both would migrate the schema
  });
  after(async () => {
    await openai.close();
    await b.stop();
    await a.stop();
    await database.drop();
  });

  it('a cancel through B stops the model call running on A and frees its slot', async () => {
    openai.otherwise({ kind: 'hang' });
    const started = await gql(b.url, START, {
      input: { subject: { repository: 'acme/api', diff: DIFF }, scorer: 'LLM' },
    });
    const id = started.data!.startScoringRun.id as string;
    await openai.waitForRequests(1, 20_000);
    assert.equal(openai.openRequests, 1, 'A is waiting on the model');

    const cancelled = await gql(b.url, 'mutation($id: ID!) { cancelScoringRun(id: $id) { status } }', { id });
    assert.equal(cancelled.errors, undefined, JSON.stringify(cancelled.errors));
    assert.equal(cancelled.data!.cancelScoringRun.status, 'CANCELLED');
    for (let i = 0; i < 200 && openai.openRequests > 0; i++) await sleep(50);
    assert.equal(openai.openRequests, 0, 'A abandoned the model call');

    // A's only slot is free again: a RULES run started through B is executed (by A) to DONE.
    const next = await gql(b.url, START, { input: { subject: { repository: 'acme/api', diff: DIFF } } });
    const nextId = next.data!.startScoringRun.id as string;
    let status = 'QUEUED';
    for (let i = 0; i < 400 && status !== 'DONE'; i++) {
      await sleep(50);
      status = (await gql(b.url, 'query($id: ID!) { scoringRun(id: $id) { status } }', { id: nextId })).data!
        .scoringRun.status;
    }
    assert.equal(status, 'DONE');
    const run = await gql(b.url, 'query($id: ID!) { scoringRun(id: $id) { status score { value } } }', {
      id,
    });
    assert.deepEqual(run.data!.scoringRun, { status: 'CANCELLED', score: null });
    assert.equal(openai.requests.length, 1, 'the cancelled run did not call the model again');
  });
});
