import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { transitionWriteFor } from '@assay/kit/runs';
import { connectionParamsFor, gql, startTestService } from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { scoringService } from '../src/app.ts';
import { SCORING_RUNS } from '../src/lifecycle/scoring-runs.ts';
import { RunStatus, ScorerKind } from '../src/runs/run.entity.ts';
import { type CreateRun, createRunWrite } from '../src/runs/run.writes.ts';

const START = `mutation Start($input: StartScoringRunInput!) {
  startScoringRun(input: $input) { id status progressPct attempt scorer idempotencyKey persistence
    subject { repository prNumber title diffBytes } createdAt updatedAt }
}`;
const DIFF = 'diff --git a/x.ts b/x.ts\n--- a/x.ts\n+++ b/x.ts\n@@ -1 +1 @@\n-a\n+b\n';

describe('scoring runs (real PostgreSQL)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  before(async () => {
    // API only: these tests read runs as they were accepted; execution is lifecycle.int.test.ts's.
    service = await startTestService(scoringService, {
      ASSAY_MAX_DIFF_BYTES: '1000',
      ASSAY_SCORING_CONCURRENCY: '0',
    });
  });
  after(() => service.stopAndDrop());

  it('starts a run QUEUED and reads it back from the database', async () => {
    const started = await gql(service.url, START, {
      input: { subject: { repository: 'acme/api', prNumber: 7, title: 'Fix', diff: DIFF } },
    });
    assert.equal(started.errors, undefined);
    const run = started.data!.startScoringRun;
    assert.equal(run.status, 'QUEUED');
    assert.equal(run.scorer, 'RULES');
    assert.equal(run.persistence, 'PENDING');
    assert.deepEqual(run.subject, {
      repository: 'acme/api',
      prNumber: 7,
      title: 'Fix',
      diffBytes: DIFF.length,
    });

    const [row] = await service.orm.em
      .getConnection()
      .execute('select status, diff, tenant_id from scoring.scoring_run where id = ?', [run.id]);
    assert.deepEqual(row, { status: 'QUEUED', diff: DIFF, tenant_id: 'default' });

    const read = await gql(service.url, 'query($id: ID!) { scoringRun(id: $id) { id status } }', {
      id: run.id,
    });
    assert.deepEqual(read.data!.scoringRun, { id: run.id, status: 'QUEUED' });
  });

  it('returns the same run for the same idempotency key', async () => {
    const input = { subject: { repository: 'acme/api', diff: DIFF }, idempotencyKey: 'ci-build-42' };
    const first = await gql(service.url, START, { input });
    const second = await gql(service.url, START, { input });
    assert.equal(first.data!.startScoringRun.id, second.data!.startScoringRun.id);
    const rows = await service.orm.em
      .getConnection()
      .execute<{ count: number }[]>(
        "select count(*)::int as count from scoring.scoring_run where idempotency_key = 'ci-build-42'",
      );
    assert.equal(rows[0]?.count, 1);
  });

  it('reads a group of new runs back in one query: keyed and unkeyed, in order, null for one not stored', async () => {
    const run = (n: number, idempotencyKey: string | null): CreateRun => ({
      id: randomUUID(),
      tenantId: 'default',
      idempotencyKey,
      repository: `acme/batch-${n}`,
      prNumber: n,
      title: null,
      diff: `${DIFF}+line ${n}\n`,
      scorer: ScorerKind.RULES,
      traceId: null,
      createdAt: new Date().toISOString(),
    });
    const key = `batch-${randomUUID()}`;
    const payloads = [run(1, key), run(2, null), run(3, `${key}-b`), run(4, null)];
    const stored = payloads.slice(0, 3);
    await service.orm.em.fork().transactional(async (em) => {
      for (const p of stored) await createRunWrite.write(em, p, `hash-${p.prNumber}`);
    });
    // The same key in another tenant is another run, not this one.
    const otherTenant = { ...payloads[0]!, tenantId: 'other' };
    const read = await createRunWrite.readBackMany!(service.orm.em.fork(), [...payloads, otherTenant]);
    assert.deepEqual(
      read.map((r) => r && [r.result.id, r.result.repository, r.result.diff, r.hash]),
      [...stored.map((p) => [p.id, p.repository, p.diff, `hash-${p.prNumber}`]), null, null],
    );
    assert.deepEqual(read[0]!.content, createRunWrite.content(payloads[0]!));
  });

  it('answers null for an unknown id and BAD_USER_INPUT for a malformed one', async () => {
    const unknown = await gql(
      service.url,
      '{ scoringRun(id: "8f14e45f-ceea-467a-9e4b-2f2c3f4a1b2c") { id } }',
    );
    assert.deepEqual(unknown.data, { scoringRun: null });
    const malformed = await gql(service.url, '{ scoringRun(id: "not-an-id") { id } }');
    assert.equal(malformed.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(malformed.errors![0]!.message, /not a run id/);
  });

  it('rejects bad input with BAD_USER_INPUT and an actionable message', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ repository: 'no-slash', diff: DIFF }, /repository must look like owner\/name/],
      [{ repository: 'a/b', diff: '   ' }, /subject\.diff is empty/],
      [{ repository: 'a/b', diff: 'x'.repeat(1001) }, /1001 bytes; the limit is 1000/],
      [{ repository: 'a/b', prNumber: -1, diff: DIFF }, /prNumber must be a positive/],
      [{ repository: 'a/b', diff: '+x\n+y\n' }, /no recognisable file change; send unified diff/],
    ];
    for (const [subject, message] of cases) {
      const result = await gql(service.url, START, { input: { subject } });
      assert.equal(result.status, 200);
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(subject));
      assert.match(result.errors![0]!.message, message);
    }
  });

  it('pages newest first with opaque cursors and rejects bad page arguments', async () => {
    for (let i = 0; i < 3; i++) {
      await gql(service.url, START, { input: { subject: { repository: `acme/page-${i}`, diff: DIFF } } });
    }
    const page = `query($first: Int, $after: String) {
      scoringRuns(first: $first, after: $after) { nodes { id createdAt } pageInfo { hasNextPage endCursor } } }`;
    const all = (await gql(service.url, page, { first: 100 })).data!.scoringRuns.nodes as { id: string }[];
    const first = (await gql(service.url, page, { first: 2 })).data!.scoringRuns;
    assert.equal(first.pageInfo.hasNextPage, true);
    const second = (await gql(service.url, page, { first: 2, after: first.pageInfo.endCursor })).data!
      .scoringRuns;
    assert.deepEqual(
      [...first.nodes, ...second.nodes].map((n: { id: string }) => n.id),
      all.slice(0, 4).map((n) => n.id),
    );
    for (const variables of [{ first: -1 }, { first: 101 }, { first: 1, after: 'garbage' }]) {
      const result = await gql(service.url, page, variables);
      assert.equal(result.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', JSON.stringify(variables));
    }
  });

  it('filters runs by repository, status and scorer, and rejects a malformed filter', async () => {
    const ids: Record<string, string[]> = { 'acme/filter-a': [], 'acme/filter-b': [] };
    for (const repository of ['acme/filter-a', 'acme/filter-b', 'acme/filter-a']) {
      const started = await gql(service.url, START, { input: { subject: { repository, diff: DIFF } } });
      ids[repository]!.push(started.data!.startScoringRun.id);
    }
    const query = `query($filter: ScoringRunFilter) { scoringRuns(filter: $filter, first: 100) { nodes { id } } }`;
    const list = async (filter: Record<string, unknown>) => {
      const result = await gql(service.url, query, { filter });
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      return (result.data!.scoringRuns.nodes as { id: string }[]).map((n) => n.id).sort();
    };
    assert.deepEqual(await list({ repository: 'acme/filter-a' }), [...ids['acme/filter-a']!].sort());
    const every = ['QUEUED', 'RUNNING', 'SCORING', 'DONE', 'ERROR', 'CANCELLED'];
    assert.deepEqual(
      await list({ repository: 'acme/filter-b', status: every, scorer: 'RULES' }),
      ids['acme/filter-b'],
    );
    assert.deepEqual(await list({ repository: 'acme/filter-b', scorer: 'LLM' }), []);
    assert.deepEqual(await list({ repository: 'acme/filter-b', status: ['CANCELLED'] }), []);
    const bad = await gql(service.url, query, { filter: { repository: 'not a repo' } });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
    assert.match(bad.errors![0]!.message, /owner\/name/);
  });

  it('publishes a transition that was spooled once the replayer has stored it', {
    timeout: 30_000,
  }, async () => {
    const started = await gql(service.url, START, {
      input: { subject: { repository: 'acme/late', diff: DIFF } },
    });
    const id = started.data!.startScoringRun.id as string;
    const ws = createClient({
      url: service.url.replace(/^http/, 'ws'),
      connectionParams: connectionParamsFor(service.url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    try {
      const statuses: string[] = [];
      const following = (async () => {
        for await (const result of ws.iterate<{ scoringRunProgress: { status: string } }>({
          query: 'subscription($id: ID!) { scoringRunProgress(runId: $id) { status } }',
          variables: { id },
        })) {
          statuses.push(result.data!.scoringRunProgress.status);
        }
      })();
      for (let i = 0; i < 200 && statuses.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      assert.deepEqual(statuses, ['QUEUED']);

      // The database "away": the cancel is spooled, not stored, and nobody is told yet.
      const isolation = service.writer.policy.breaker.isolate();
      const spooled = await service.writer.persist(transitionWriteFor(SCORING_RUNS), {
        runId: id,
        attempt: 0,
        from: [RunStatus.QUEUED],
        to: RunStatus.CANCELLED,
        step: 'cancelled',
        pct: 0,
        at: new Date().toISOString(),
      });
      assert.equal(spooled.status, 'SPOOLED');
      isolation.dispose();
      await service.replayer.drain();
      await following; // completes after the final status
      assert.deepEqual(statuses, ['QUEUED', 'CANCELLED']);
    } finally {
      await ws.dispose();
    }
  });

  it('resolves ScoringRun entity references for the gateway', async () => {
    const { id } = (await gql(service.url, START, { input: { subject: { repository: 'a/b', diff: DIFF } } }))
      .data!.startScoringRun;
    const result = await gql(
      service.url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on ScoringRun { id status } } }',
      { r: [{ __typename: 'ScoringRun', id }] },
    );
    assert.deepEqual(result.data!._entities, [{ id, status: 'QUEUED' }]);
  });

  it('reports ready with the database check, and never leaks internals on errors', async () => {
    const ready = await fetch(service.url.replace('/graphql', '/readyz'));
    assert.equal(ready.status, 200);
    const { checks } = (await ready.json()) as { checks: { database: { detail: { latencyMs: number } } } };
    assert.equal(typeof checks.database.detail.latencyMs, 'number');
    assert.deepEqual(checks, {
      database: { ok: true, detail: { latencyMs: checks.database.detail.latencyMs } },
      app: { ok: true },
      breaker: { ok: true, detail: 'closed' },
      spool: { ok: true, detail: { depth: 0, quarantined: 0 } },
    });
    const broken = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    assert.equal(broken.status, 400);
    const body = (await broken.json()) as { errors: { extensions: { code: string } }[] };
    assert.equal(body.errors[0]!.extensions.code, 'BAD_REQUEST');
  });
});
