import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { contentHash } from '@assay/kit';
import { FakeOpenAI, gql, startTestService } from '@assay/kit/testing';
import { scoringService } from '../src/app.ts';
import { scoreContent } from '../src/scores/score.entity.ts';

// The run lifecycle on a real PostgreSQL with real pg-boss jobs; the LLM faked at the network edge.

const DIFF = [
  'diff --git a/src/sum.ts b/src/sum.ts',
  '--- a/src/sum.ts',
  '+++ b/src/sum.ts',
  '@@ -1,1 +1,2 @@',
  ' export const a = 1;',
  '+export const sum = (x: number, y: number) => x + y;',
  'diff --git a/test/sum.test.ts b/test/sum.test.ts',
  '--- a/test/sum.test.ts',
  '+++ b/test/sum.test.ts',
  '@@ -1,1 +1,2 @@',
  " import { sum } from '../src/sum';",
  "+test('sum', () => expect(sum(1, 2)).toBe(3));",
  '',
].join('\n');

const START = `mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id status attempt } }`;
const RUN = `query($id: ID!) { scoringRun(id: $id) {
  id status progressStep progressPct attempt startedAt finishedAt updatedAt persistence
  error { code message retryable }
  score { value band scorerVersion contentHash verifiedAt criteria { criterion score weight detail } violations { file line rule severity message } }
} }`;

const HEARTBEAT_TIMEOUT_MS = 1500;
const WATCHDOG_INTERVAL_MS = 300;

describe('scoring lifecycle (real PostgreSQL, pg-boss, fake OpenAI)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  let openai: FakeOpenAI;
  before(async () => {
    openai = await FakeOpenAI.start();
    service = await startTestService(scoringService, {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      ASSAY_LLM_TIMEOUT_MS: '600000',
      ASSAY_LLM_RETRIES: '0',
      ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: String(HEARTBEAT_TIMEOUT_MS),
      ASSAY_WATCHDOG_INTERVAL_MS: String(WATCHDOG_INTERVAL_MS),
      ASSAY_RUN_MAX_ATTEMPTS: '2',
    });
  });
  after(async () => {
    await service?.stopAndDrop();
    await openai?.close();
  });

  async function start(input: Record<string, unknown>) {
    const result = await gql(service.url, START, { input });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.startScoringRun as { id: string; status: string };
  }
  async function read(id: string) {
    const result = await gql(service.url, RUN, { id });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.scoringRun;
  }
  async function until(id: string, statuses: string[], timeoutMs = 20_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await read(id);
      if (statuses.includes(run.status)) return run;
      if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status}`);
      await sleep(50);
    }
  }

  it('runs a RULES run to DONE with one verified score whose hash matches its content', async () => {
    const started = await start({ subject: { repository: 'acme/api', diff: DIFF } });
    assert.equal(started.status, 'QUEUED');
    let run = await until(started.id, ['DONE', 'ERROR']);
    assert.equal(run.status, 'DONE', JSON.stringify(run.error));
    // The verified mark follows the DONE commit by one read-back.
    for (let i = 0; i < 250 && run.persistence !== 'VERIFIED'; i++) {
      await sleep(20);
      run = await read(started.id);
    }
    assert.equal(run.progressPct, 100);
    assert.equal(run.persistence, 'VERIFIED');
    assert.ok(run.startedAt && run.finishedAt && run.finishedAt >= run.startedAt);
    assert.equal(run.score.scorerVersion, 'rules@1');
    assert.ok(run.score.verifiedAt);
    assert.equal(run.score.contentHash, contentHash(scoreContent(started.id, run.score)));
    const rows = await service.orm.em
      .getConnection()
      .execute('select count(*)::int as n from scoring.score where run_id = ?', [started.id]);
    assert.equal(rows[0]?.n, 1);
    const unpersisted = await gql(service.url, '{ unpersistedScores { id } }');
    assert.deepEqual(unpersisted.data!.unpersistedScores, []);
  });

  it('lists runs each with its own score (batched lookups keep them apart)', async () => {
    const diffs = [DIFF, DIFF.replace('+b', '+b\n+// TODO: remove'), `${DIFF}+console.log("x")\n`];
    const ids = [];
    for (const diff of diffs) ids.push((await start({ subject: { repository: 'acme/api', diff } })).id);
    for (const id of ids) await until(id, ['DONE']);
    const listed = await gql(
      service.url,
      '{ scoringRuns(first: 50) { nodes { id status score { contentHash } } } }',
    );
    assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
    const nodes = listed.data!.scoringRuns.nodes as { id: string; score: { contentHash: string } | null }[];
    for (const id of ids) {
      const one = await read(id);
      assert.equal(nodes.find((n) => n.id === id)?.score?.contentHash, one.score.contentHash);
    }
    assert.equal(new Set(ids.map((id) => nodes.find((n) => n.id === id)!.score!.contentHash)).size, 3);
  });

  it('unpersistedScores lists a DONE run whose score is not verified a minute after it finished', async () => {
    const started = await start({ subject: { repository: 'acme/api', diff: DIFF } });
    await until(started.id, ['DONE']);
    const sql = service.orm.em.getConnection();
    const unpersisted = async () =>
      (
        (await gql(service.url, '{ unpersistedScores { id } }')).data!.unpersistedScores as { id: string }[]
      ).map((r) => r.id);
    // As if the process had died between the commit and the read-back.
    for (let i = 0; i < 100 && (await read(started.id)).persistence !== 'VERIFIED'; i++) await sleep(20);
    await sql.execute('update scoring.score set verified_at = null where run_id = ?', [started.id]);
    assert.deepEqual(await unpersisted(), [], 'within the grace minute it is not an alarm');
    await sql.execute(
      "update scoring.scoring_run set finished_at = now() - interval '2 minutes' where id = ?",
      [started.id],
    );
    assert.deepEqual(await unpersisted(), [started.id]);
    await sql.execute('delete from scoring.score where run_id = ?', [started.id]);
    assert.deepEqual(await unpersisted(), [started.id], 'no score at all is listed too');
  });

  it('scores with the LLM through the Responses API', async () => {
    openai.enqueue({
      kind: 'json',
      output: {
        value: 7.46,
        criteria: [{ criterion: 'clarity', score: 7.46, weight: 1, detail: 'Readable.' }],
        violations: [],
      },
    });
    const started = await start({ subject: { repository: 'acme/api', diff: DIFF }, scorer: 'LLM' });
    const run = await until(started.id, ['DONE', 'ERROR']);
    assert.equal(run.status, 'DONE', JSON.stringify(run.error));
    assert.equal(run.score.value, 7.5);
    assert.equal(run.score.band, 'GOOD');
    assert.match(run.score.scorerVersion, /^llm:/);
  });

  it('retries the job of a run whose model answered 503, in the same attempt, to DONE', async () => {
    const before = openai.requests.length;
    openai.enqueue(
      { kind: 'error', status: 503 },
      {
        kind: 'json',
        output: {
          value: 6,
          criteria: [{ criterion: 'clarity', score: 6, weight: 1, detail: 'Fine.' }],
          violations: [],
        },
      },
    );
    const started = await start({ subject: { repository: 'acme/api', diff: DIFF }, scorer: 'LLM' });
    const run = await until(started.id, ['DONE', 'ERROR']);
    assert.equal(run.status, 'DONE', JSON.stringify(run.error));
    assert.equal(run.score.value, 6);
    assert.equal(run.attempt, 0, 'a job retry, not a new attempt');
    assert.equal(openai.requests.length - before, 2, 'the model was asked again');
  });

  it('ends a run whose model request is rejected (401) in ERROR with a typed, non-retryable error', async () => {
    openai.enqueue({ kind: 'error', status: 401 });
    const started = await start({ subject: { repository: 'acme/api', diff: DIFF }, scorer: 'LLM' });
    const run = await until(started.id, ['DONE', 'ERROR']);
    assert.equal(run.status, 'ERROR');
    assert.equal(run.error.retryable, false);
    assert.doesNotMatch(run.error.message, /sk-test/);
    assert.equal(run.score, null);
  });

  it('a scorer that never returns: the watchdog re-queues it, then fails it within the timeout plus one period', async () => {
    openai.otherwise({ kind: 'hang' });
    try {
      const started = await start({ subject: { repository: 'acme/api', diff: DIFF }, scorer: 'LLM' });
      const scoring = await until(started.id, ['SCORING']);
      // The second attempt's last heartbeat: from then on the run only waits for the watchdog.
      let lastBeat = 0;
      for (;;) {
        const now = await read(started.id);
        if (now.attempt === 1 && now.status === 'SCORING') {
          lastBeat = Date.parse(now.updatedAt);
          break;
        }
        assert.ok(['QUEUED', 'RUNNING', 'SCORING'].includes(now.status), now.status);
        await sleep(20);
      }
      const run = await until(started.id, ['ERROR', 'DONE'], 30_000);
      const endedAfter = Date.parse(run.finishedAt) - lastBeat;
      // Within the timeout plus one watchdog period, with a period of slack for a loaded machine.
      assert.ok(endedAfter >= HEARTBEAT_TIMEOUT_MS, `not before the timeout (${endedAfter} ms)`);
      assert.ok(
        endedAfter <= HEARTBEAT_TIMEOUT_MS + 2 * WATCHDOG_INTERVAL_MS + 500,
        `ended ${endedAfter} ms after its last heartbeat`,
      );
      assert.equal(run.status, 'ERROR');
      assert.equal(run.error.code, 'HEARTBEAT_TIMEOUT');
      assert.equal(run.attempt, 1, 're-queued once (two attempts) before failing');
      assert.equal(scoring.attempt, 0);
      const requests = openai.requests.length;
      assert.ok(requests >= 2, `each attempt called the model (${requests})`);
      // Once the run has ended, its last attempt gives up its model call instead of holding a slot.
      for (let i = 0; i < 100 && openai.openRequests > 0; i++) await sleep(50);
      assert.equal(openai.openRequests, 0, 'no model call left hanging');
    } finally {
      openai.reset();
    }
  });

  it('cancels a run that is scoring, and its late result can no longer land', async () => {
    openai.otherwise({ kind: 'hang' });
    try {
      const started = await start({ subject: { repository: 'acme/api', diff: DIFF }, scorer: 'LLM' });
      await until(started.id, ['SCORING']);
      const cancelled = await gql(
        service.url,
        'mutation($id: ID!) { cancelScoringRun(id: $id) { status } }',
        {
          id: started.id,
        },
      );
      assert.equal(cancelled.data?.cancelScoringRun.status, 'CANCELLED');
      const again = await gql(service.url, 'mutation($id: ID!) { cancelScoringRun(id: $id) { status } }', {
        id: started.id,
      });
      assert.equal(again.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(again.errors![0]!.message, /already CANCELLED/);
      await sleep(HEARTBEAT_TIMEOUT_MS + 2 * WATCHDOG_INTERVAL_MS);
      const run = await read(started.id);
      assert.equal(run.status, 'CANCELLED', 'the watchdog leaves terminal runs alone');
      assert.equal(run.score, null);
    } finally {
      openai.reset();
    }
  });

  it('answers bad input with actionable GraphQL errors, never a 500', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ subject: { repository: 'acme/api', diff: '  ' } }, /diff is empty/],
      [{ subject: { repository: 'acme/api', diff: 'x'.repeat(10 * 1024 * 1024) } }, /limit is/],
      [{ subject: { repository: 'not a repo', diff: DIFF } }, /owner\/name/],
    ];
    for (const [input, message] of cases) {
      const result = await gql(service.url, START, { input });
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(result.errors));
      assert.match(result.errors![0]!.message, message);
    }
    const unknown = await gql(
      service.url,
      'mutation { cancelScoringRun(id: "00000000-0000-4000-8000-000000000000") { id } }',
    );
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'NOT_FOUND');
    const page = await gql(service.url, '{ scoringRuns(first: -1) { nodes { id } } }');
    assert.equal(page.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    const hours = await gql(service.url, '{ unpersistedScores(sinceHours: 0) { id } }');
    assert.equal(hours.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
  });

  it('the same idempotency key returns the same run; a different request under it is refused', async () => {
    const input = { subject: { repository: 'acme/api', diff: DIFF }, idempotencyKey: 'ci-123' };
    const a = await start(input);
    const b = await start(input);
    assert.equal(a.id, b.id);
    const other = await gql(service.url, START, {
      input: { ...input, subject: { repository: 'acme/web', diff: DIFF } },
    });
    assert.equal(other.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(other.errors![0]!.message, /idempotencyKey was already used/);
  });
});
