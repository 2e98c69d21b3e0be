import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  createTestDatabase,
  FakeOpenAI,
  gql,
  runScript,
  type Started,
  systemPorts,
} from '@assay/kit/testing';
import { follow, PERSONAS, panel, RUN, START } from './support.ts';

// The whole system as `npm start` runs it (gateway, three subgraphs), the model a fake OpenAI that
// answers each call in 300 ms: a client starts a review and follows it through the gateway.

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let openai: FakeOpenAI;
let system: Started;
let url: string;
before(async () => {
  database = await createTestDatabase();
  openai = await FakeOpenAI.start();
  openai.otherwise(panel({}, 300));
  system = runScript('scripts/start.ts', {
    DATABASE_URL: database.url,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: openai.url,
    ...(await systemPorts()),
  });
  url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
});
after(async () => {
  if (system.child.exitCode === null) system.child.kill('SIGTERM');
  await system?.exited;
  await openai?.close();
  await database?.drop();
});

test('through the gateway: expand, five personas, decision, COMPLETED, in order; then everything is queryable', {
  timeout: 60_000,
}, async () => {
  const started = await gql(url, START, {
    input: { idea: 'Cache scores per commit so that re-runs are free.' },
  });
  assert.equal(started.errors, undefined, JSON.stringify(started.errors));
  const id = started.data!.startReview.id as string;
  const events = await follow(url, id);
  const kinds = events.map((e) => e.event ?? e.status);
  const at = (kind: string) => kinds.indexOf(kind);
  assert.ok(at('EXPANDED') >= 0 && at('EXPANDED') < at('PERSONA_STARTED'), kinds.join(' '));
  assert.deepEqual(
    events
      .filter((e) => e.event === 'PERSONA_FINISHED')
      .map((e) => e.personaId)
      .sort(),
    PERSONAS.map((p) => p.id).sort(),
  );
  assert.ok(kinds.lastIndexOf('PERSONA_FINISHED') < at('COMPLETED'), kinds.join(' '));
  assert.equal(kinds.at(-1), 'COMPLETED');

  const run = (await gql(url, RUN, { id })).data!.reviewRun;
  assert.equal(run.proposal.proposal.title, 'Cache scores per commit');
  assert.equal(run.personaReviews.length, 5);
  assert.equal(run.decision.label, 'APPROVE');
  const listed = await gql(
    url,
    '{ reviewRuns(filter: { decision: APPROVE }, first: 5) { nodes { id decisionLabel personaReviews { personaId } } } personas { id weight } }',
  );
  assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
  assert.equal(listed.data!.reviewRuns.nodes[0].id, id);
  assert.equal(listed.data!.reviewRuns.nodes[0].personaReviews.length, 5);
  assert.equal(listed.data!.personas.length, 5);
});
