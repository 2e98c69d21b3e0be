import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, FakeOpenAI, freePort, gql, runScript, type Started } from '@assay/kit/testing';
import pg from 'pg';
import { askedOf, PERSONAS, panel, START } from './support.ts';

// A real review process SIGKILLed after three personas' reviews are stored, then started again:
// the run completes, and no persona stored before the kill, nor the expansion, is asked again.

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let openai: FakeOpenAI;
let dataDir: string;
let client: pg.Client;
const processes: Started[] = [];
before(async () => {
  db = await createTestDatabase();
  openai = await FakeOpenAI.start();
  dataDir = await mkdtemp(join(tmpdir(), 'assay-review-crash-'));
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
after(async () => {
  for (const p of processes) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
  await client?.end();
  await openai?.close();
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function startReview(port: number): Promise<Started> {
  const review = runScript('services/review/src/main.ts', {
    DATABASE_URL: db.url,
    ASSAY_DATA_DIR: dataDir,
    ASSAY_REVIEW_PORT: String(port),
    ASSAY_HOST: '127.0.0.1',
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: openai.url,
    // One persona at a time, so the kill lands between stored reviews.
    ASSAY_REVIEW_PERSONA_CONCURRENCY: '1',
    // Short, so the run orphaned by the kill is re-queued within seconds.
    ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: '3000',
    ASSAY_WATCHDOG_INTERVAL_MS: '500',
    LOG_LEVEL: 'info',
  });
  processes.push(review);
  await review.waitFor(/"msg":"review ready"/, 30_000);
  return review;
}

const stored = async (runId: string) =>
  (
    await client.query<{ persona_id: string }>(
      'select persona_id from review.persona_review where run_id = $1 and error_code is null',
      [runId],
    )
  ).rows.map((r) => r.persona_id);

test('SIGKILL after three personas are stored: the restarted process completes the run without asking them again', {
  timeout: 90_000,
}, async () => {
  openai.otherwise(panel({}, 400));
  const port = await freePort();
  const first = await startReview(port);
  const started = await gql(`http://127.0.0.1:${port}/graphql`, START, {
    input: { idea: 'Cache scores per commit.' },
  });
  assert.equal(started.errors, undefined, JSON.stringify(started.errors));
  const runId = started.data!.startReview.id as string;
  let before: string[] = [];
  for (let i = 0; i < 200 && before.length < 3; i++) {
    await sleep(25);
    before = await stored(runId);
  }
  assert.equal(before.length, 3, `three reviews stored before the kill: ${before}`);
  first.child.kill('SIGKILL');
  await first.exited;
  before = await stored(runId); // whatever landed until the kill took effect

  await startReview(port);
  let status = '';
  for (let i = 0; i < 300 && status !== 'COMPLETED'; i++) {
    await sleep(100);
    status = (await client.query('select status from review.review_run where id = $1', [runId])).rows[0]
      .status;
  }
  assert.equal(status, 'COMPLETED');
  assert.deepEqual((await stored(runId)).sort(), PERSONAS.map((p) => p.id).sort());
  const calls = (who: string) => openai.requests.filter((r) => askedOf(r) === who).length;
  assert.equal(calls('expand'), 1, 'the proposal was expanded once');
  for (const persona of before)
    assert.equal(calls(persona), 1, `${persona}, stored before the kill, asked again`);
  for (const persona of PERSONAS) assert.ok(calls(persona.id) >= 1);
});
