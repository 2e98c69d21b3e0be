import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  childPids,
  connectionParamsFor,
  createTestDatabase,
  freePort,
  gql,
  isAlive,
  runScript,
  type Started,
  systemPorts,
} from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { follow, RUN } from '../../services/review/test/support.ts';

const DIFF = 'diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-x\n+y\n';

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'assay-e2e-'));
  await chmod(dir, 0o755); // the embedded server runs as the postgres user when we are root
  return dir;
}

/** Stops `npm start` with a signal and proves every process it started is gone. */
async function stopAndCheck(
  started: Started,
  signal: NodeJS.Signals,
  extraPids: number[] = [],
): Promise<void> {
  const pids = [...childPids(started.child.pid!), ...extraPids];
  assert.ok(pids.length >= 4, `expected the supervisor's children, got ${pids}`);
  started.child.kill(signal);
  const { code } = await started.exited;
  assert.equal(code, 0);
  assert.deepEqual(pids.filter(isAlive), [], 'processes left behind');
}

describe('npm start (whole system, real processes)', () => {
  describe('with DATABASE_URL', () => {
    let database: Awaited<ReturnType<typeof createTestDatabase>>;
    let started: Started;
    let url: string;
    before(async () => {
      database = await createTestDatabase();
      started = runScript('scripts/start.ts', { DATABASE_URL: database.url, ...(await systemPorts()) });
      url = (await started.waitFor(/Assay is ready: (\S+)/))[1]!;
    });
    after(async () => {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
      await database.drop();
    });

    it('answers one query with data from all three subgraphs, in one trace', async () => {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const scoring = await gql(
        url,
        'mutation($d: String!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d } }) { id } }',
        { d: DIFF },
        { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      );
      const runId = scoring.data!.startScoringRun.id as string;
      const review = await gql(url, 'mutation { startReview(input: { idea: "Split the monolith" }) { id } }');
      const reviewId = review.data!.startReview.id as string;

      // A failure arrives in failure-catalog's own schema (as its outbox relay will write it).
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      for (const [id, code] of [
        [runId, 'SCORER_TIMEOUT'],
        [reviewId, 'LLM_RATE_LIMITED'],
      ]) {
        await client.query(
          `insert into failure_catalog.failure_match (id, run_id, service, error_code, fingerprint, match_type, created_at)
           values (gen_random_uuid(), $1, 'test', $2, 'fp', 'NONE', now())`,
          [id, code],
        );
      }
      const { trace_id } = (
        await client.query('select trace_id from scoring.scoring_run where id = $1', [runId])
      ).rows[0] as { trace_id: string };
      await client.end();
      assert.equal(trace_id, traceId, 'the client trace context reached the subgraph through the gateway');

      const result = await gql(
        url,
        `query($s: ID!, $r: ID!) {
          scoringRun(id: $s) { id scorer subject { repository } failures { errorCode } }
          reviewRun(id: $r) { id model failures { errorCode } } }`,
        { s: runId, r: reviewId },
      );
      assert.equal(result.errors, undefined);
      assert.deepEqual(result.data, {
        scoringRun: {
          id: runId,
          scorer: 'RULES',
          subject: { repository: 'acme/api' },
          failures: [{ errorCode: 'SCORER_TIMEOUT' }],
        },
        reviewRun: {
          id: reviewId,
          model: 'offline-heuristic',
          failures: [{ errorCode: 'LLM_RATE_LIMITED' }],
        },
      });
    });

    it('scores with RULES and, without OPENAI_API_KEY, ends an LLM run with SCORER_UNAVAILABLE', async () => {
      const start = (scorer: string) =>
        gql(
          url,
          'mutation($d: String!, $s: ScorerKind!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d }, scorer: $s }) { id } }',
          { d: DIFF, s: scorer },
        ).then((r) => r.data!.startScoringRun.id as string);
      const settled = async (id: string) => {
        for (let i = 0; i < 200; i++) {
          const run = (
            await gql(
              url,
              'query($id: ID!) { scoringRun(id: $id) { status error { code } score { band } } }',
              {
                id,
              },
            )
          ).data!.scoringRun;
          if (run.status === 'DONE' || run.status === 'ERROR') return run;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`run ${id} did not end`);
      };
      const rules = await settled(await start('RULES'));
      assert.equal(rules.status, 'DONE');
      assert.ok(rules.score.band);
      const llm = await settled(await start('LLM'));
      assert.deepEqual(
        { status: llm.status, code: llm.error?.code },
        { status: 'ERROR', code: 'SCORER_UNAVAILABLE' },
      );
    });

    it('a run ended in ERROR arrives in the failure catalog once, in the run trace, on scoringRun.failures and live on failureRecorded', async () => {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      // The on-call console: subscribed through the gateway before the run fails.
      const feed = createClient({
        url: url.replace(/^http/, 'ws'),
        connectionParams: connectionParamsFor(url),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
      });
      const live = feed.iterate<{ failureRecorded: { runId: string; errorCode: string; traceId: string } }>({
        query:
          'subscription { failureRecorded(filter: { errorCode: "SCORER_UNAVAILABLE" }) { runId errorCode traceId } }',
      });
      const received: { runId: string; errorCode: string; traceId: string }[] = [];
      const reading = (async () => {
        for await (const result of live) {
          if (result.errors) throw new Error(JSON.stringify(result.errors));
          received.push(result.data!.failureRecorded);
          if (result.data!.failureRecorded.traceId === traceId) return;
        }
      })();
      // No acknowledgement says a subscription is live: failing runs are started until one is seen.
      const failLlmRun = () =>
        gql(
          url,
          'mutation($d: String!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d }, scorer: LLM }) { id } }',
          { d: DIFF },
        );
      for (let i = 0; received.length === 0; i++) {
        assert.ok(i < 30, 'the failureRecorded subscription never delivered');
        await failLlmRun();
        for (let t = 0; t < 10 && received.length === 0; t++) await new Promise((r) => setTimeout(r, 100));
      }
      const started = await gql(
        url,
        'mutation($d: String!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d }, scorer: LLM }) { id } }',
        { d: DIFF },
        { traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      );
      const id = started.data!.startScoringRun.id as string;
      let run:
        | { traceId: string; failures: { errorCode: string; matchType: string; traceId: string }[] }
        | undefined;
      for (let i = 0; i < 100 && !run?.failures.length; i++) {
        await new Promise((r) => setTimeout(r, 100));
        run = (
          await gql(
            url,
            'query($id: ID!) { scoringRun(id: $id) { traceId failures { errorCode matchType traceId } } }',
            {
              id,
            },
          )
        ).data!.scoringRun;
      }
      assert.equal(run?.traceId, traceId);
      assert.deepEqual(run?.failures, [{ errorCode: 'SCORER_UNAVAILABLE', matchType: 'EXACT', traceId }]);
      await Promise.race([
        reading,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`no live event: ${JSON.stringify(received)}`)), 10_000),
        ),
      ]);
      assert.deepEqual(received.at(-1), { runId: id, errorCode: 'SCORER_UNAVAILABLE', traceId });
      await feed.dispose();
    });

    it('reviews an idea with no API key: the offline reviewer completes it, followed through the gateway', async () => {
      const idea =
        'Let the team cache scores per commit so that CI re-runs are free. It could serve a stale score after a rubric change.';
      const started = await gql(
        url,
        'mutation($i: String!) { startReview(input: { idea: $i }) { id model } }',
        {
          i: idea,
        },
      );
      assert.equal(started.errors, undefined, JSON.stringify(started.errors));
      const { id, model } = started.data!.startReview;
      assert.equal(model, 'offline-heuristic');
      const events = await follow(url, id);
      // The offline reviewer answers at once: the subscription may begin with the run already done.
      assert.equal(events.at(-1)?.status, 'COMPLETED');
      const run = (await gql(url, RUN, { id })).data!.reviewRun;
      assert.equal(run.status, 'COMPLETED');
      assert.equal(run.personaReviews.length, 5);
      assert.ok(['APPROVE', 'REVISE', 'REJECT'].includes(run.decision.label));
      assert.ok(run.personaReviews.every((r: { model: string }) => r.model === 'offline-heuristic'));
    });

    it('turns client mistakes into coded errors, never a 5xx', async () => {
      const invalid = await gql(url, '{ scoringRun(id: "x") { nope } }');
      assert.equal(invalid.status < 500, true);
      assert.equal(invalid.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
      const bad = await gql(
        url,
        'mutation { startScoringRun(input: { subject: { repository: "x", diff: "" } }) { id } }',
      );
      assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT');
      assert.match(bad.errors![0]!.message, /owner\/name/);
      const deep = await gql(
        url,
        `{ scoringRuns { nodes { id ${'subject { repository } '.repeat(1)} } pageInfo { ${'hasNextPage '.repeat(1)} } } }`,
      );
      assert.equal(deep.errors, undefined);
    });

    it('rejects queries deeper than the configured limit at the gateway', async () => {
      const nested = (depth: number): string =>
        depth === 0 ? 'id' : `id parentRun { ${nested(depth - 1)} }`;
      const result = await gql(url, `{ reviewRuns { nodes { ${nested(12)} } } }`);
      assert.match(result.errors?.[0]?.message ?? '', /depth/i);
    });

    it('serves the IDE with no request to the internet', async () => {
      const page = await (await fetch(url, { headers: { accept: 'text/html' } })).text();
      assert.match(page, /graphiql/i);
      assert.doesNotMatch(page, /<(script|link)[^>]+(src|href)=["']?https?:/i);
    });

    it('stops everything on SIGTERM', async () => {
      await stopAndCheck(started, 'SIGTERM');
    });
  });

  describe('with the embedded PostgreSQL', () => {
    let dir: string;
    before(async () => {
      dir = await dataDir();
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('initialises a database on first start, reuses it on the next, and leaves nothing running', async () => {
      const env = {
        ASSAY_DATA_DIR: dir,
        ASSAY_EMBEDDED_PG_PORT: String(await freePort()),
        ...(await systemPorts()),
      };
      const first = runScript('scripts/start.ts', env);
      const url = (await first.waitFor(/Assay is ready: (\S+)/))[1]!;
      assert.match(first.output(), /initialising an embedded PostgreSQL/);
      const { id } = (await gql(url, 'mutation { startReview(input: { idea: "Keep me" }) { id } }')).data!
        .startReview;
      const postgresPid = Number((await readFile(join(dir, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0]);
      await stopAndCheck(first, 'SIGINT', [postgresPid]);

      const second = runScript('scripts/start.ts', env);
      try {
        const url2 = (await second.waitFor(/Assay is ready: (\S+)/))[1]!;
        assert.doesNotMatch(second.output(), /initialising/);
        const again = await gql(url2, 'query($id: ID!) { reviewRun(id: $id) { idea } }', { id });
        assert.deepEqual(again.data, { reviewRun: { idea: 'Keep me' } });
        // The services reach the embedded server through its Unix socket: no client address.
        const admin = new pg.Client({
          connectionString: `postgres://postgres:postgres@127.0.0.1:${env.ASSAY_EMBEDDED_PG_PORT}/assay`,
        });
        await admin.connect();
        const { rows } = await admin
          .query<{ app: string; tcp: boolean }>(
            `select application_name as app, bool_or(client_addr is not null) as tcp from pg_stat_activity
              where application_name like 'assay-%' group by 1 order by 1`,
          )
          .finally(() => admin.end());
        for (const app of ['assay-scoring', 'assay-review', 'assay-failure_catalog', 'assay-scoring-jobs'])
          assert.ok(
            rows.some((r) => r.app === app),
            `${app} connected: ${JSON.stringify(rows)}`,
          );
        assert.deepEqual(
          rows.filter((r) => r.tcp),
          [],
          'every connection of the services is through the socket',
        );
      } finally {
        await stopAndCheck(second, 'SIGTERM');
      }
    });
  });

  describe('start-up errors', () => {
    it('names a malformed or unknown variable in one line and exits', async () => {
      const started = runScript('scripts/start.ts', { ASSAY_GATEWAY_PORT: 'eighty', ASSAY_REVEIW_PORT: '1' });
      const { code } = await started.exited;
      assert.equal(code, 2);
      const lines = started.output().trim().split('\n');
      assert.equal(lines.length, 1, started.output());
      assert.match(lines[0]!, /ASSAY_GATEWAY_PORT .*"eighty"/);
      assert.match(
        lines[0]!,
        /ASSAY_REVEIW_PORT is not a known variable \(did you mean ASSAY_REVIEW_PORT\?\)/,
      );
    });

    it('says in one line that a port is taken, and stops what it started', async () => {
      const database = await createTestDatabase();
      const blocker = createServer().listen(0, '127.0.0.1');
      await new Promise((resolve) => blocker.once('listening', resolve));
      const taken = (blocker.address() as { port: number }).port;
      const started = runScript('scripts/start.ts', {
        DATABASE_URL: database.url,
        ...(await systemPorts()),
        ASSAY_REVIEW_PORT: String(taken),
      });
      const { code } = await started.exited;
      blocker.close();
      await database.drop();
      assert.equal(code, 1);
      assert.match(started.output(), new RegExp(`review: port ${taken} on 127.0.0.1 is already in use`));
      assert.doesNotMatch(started.output(), /^\s+at /m, 'no stack trace');
    });

    it('waits for an unreachable database, saying so once', async () => {
      const closed = await freePort();
      const started = runScript('scripts/start.ts', {
        DATABASE_URL: `postgres://assay:secret@127.0.0.1:${closed}/assay`,
        ...(await systemPorts()),
      });
      await started.waitFor(/cannot reach PostgreSQL at 127\.0\.0\.1:\d+\/assay \(ECONNREFUSED\); retrying/);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(started.child.exitCode, null, 'still waiting, not crashed');
      assert.equal(started.output().match(/cannot reach/g)?.length, 1);
      assert.doesNotMatch(started.output(), /secret/);
      started.child.kill('SIGTERM');
      assert.equal((await started.exited).code, 0);
    });
  });
});
