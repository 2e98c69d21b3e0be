import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gql, startTestService } from '@assay/kit/testing';
import pg from 'pg';
import { scoringService } from '../src/app.ts';

// What one RULES run costs the scoring service's database connections, statement by statement, as
// sent to PostgreSQL: the per-run budget the throughput rests on (README, Performance). pg-boss and
// the pub/sub have connections of their own and are not counted here.

const DIFF = 'diff --git a/x.ts b/x.ts\n--- a/x.ts\n+++ b/x.ts\n@@ -1 +1 @@\n-a\n+b\n';
/** The test's own reads: its poll, and the pool's liveness check. */
const POLL = /^select (1|persistence from)\b/;
const START = 'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id } }';

/** The pg drivers: the root one (the ORM's pool clients are PreparingClients) and MikroORM's own copy. */
const clients = [
  ...new Set([pg.Client, createRequire(import.meta.resolve('@mikro-orm/postgresql'))('pg').Client]),
] as (typeof pg.Client)[];

interface Sent {
  text: string;
  values: unknown[];
  /** Sent as a named (prepared) statement. */
  prepared: boolean;
}

/** A statement as the budget names it; `*` when it was sent prepared, with parameters. */
function label({ text, values, prepared }: Sent): string {
  const s = text.replace(/\s+/g, ' ').trim().toLowerCase();
  const star = prepared ? '*' : '';
  if (s === 'begin' || s === 'commit' || s === 'rollback') return s + star;
  if (s.startsWith("select set_config('statement_timeout'")) return `bounds${star}`;
  const status = /^update "scoring"."scoring_run" set status = (?:'(\w+)'|\$1)/.exec(s);
  if (status) return `transition ${(status[1] ?? String(values[0])).toUpperCase()}${star}`;
  if (s.startsWith('insert into "scoring"."scoring_run"')) return `insert run${star}`;
  if (s.startsWith('insert into "scoring"."score"')) return `insert score${star}`;
  if (/^with .* update "scoring"."scoring_run" set "?persistence"?/.test(s)) return `mark verified${star}`;
  if (s.includes('"scoring"."score"') && s.startsWith('select')) return `read score${star}`;
  if (s.includes('"scoring"."scoring_run"') && s.startsWith('select')) return `read run${star}`;
  return s.slice(0, 80) + star;
}

describe('statement budget of a RULES run (real PostgreSQL)', () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  const sent: Sent[] = [];
  let recording = false;
  const queries = clients.map((Client) => Client.prototype.query);
  before(async () => {
    // Nothing periodic in the window: only the run's own statements reach the log.
    service = await startTestService(scoringService, { ASSAY_WATCHDOG_INTERVAL_MS: '600000' });
    for (const [i, Client] of clients.entries()) {
      const query = queries[i]!;
      Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const config = args[0] as string | { text?: string; name?: string; values?: unknown[] };
        const text = typeof config === 'string' ? config : config?.text;
        const values = (typeof config === 'string' ? args[1] : config?.values) ?? [];
        const app = (this as unknown as { connectionParameters: { application_name?: string } })
          .connectionParameters.application_name;
        if (recording && app === 'assay-scoring' && text && !POLL.test(text)) {
          sent.push({
            text,
            values: Array.isArray(values) ? values : [],
            prepared: typeof config === 'object' && !!config?.name,
          });
        }
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
    }
  });
  after(async () => {
    for (const [i, Client] of clients.entries()) Client.prototype.query = queries[i]!;
    await service?.stopAndDrop();
  });

  it('accepts, executes, stores and verifies a run in 23 statements (28 before), its hot ones prepared', async () => {
    // Warm: the first run's statements include the ORM's and the queue's first-use work.
    const warm = await gql(service.url, START, {
      input: { subject: { repository: 'acme/api', diff: DIFF } },
    });
    await verified(warm.data!.startScoringRun.id);

    recording = true;
    const started = await gql(service.url, START, {
      input: { subject: { repository: 'acme/api', diff: DIFF } },
    });
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    await verified(started.data!.startScoringRun.id);
    recording = false;

    // `*`: sent with parameters and prepared, so PostgreSQL plans it once per connection.
    const tx = (...statements: string[]) => ['begin', 'bounds*', ...statements, 'commit'];
    assert.deepEqual(sent.map(label), [
      // The API: the run, its job (pg-boss's own connection), the answer.
      ...tx('insert run'),
      'read run',
      // The executor: its read of the run, then three transitions, each read back after its commit.
      'read run',
      ...tx('transition RUNNING*'),
      'read run*',
      ...tx('transition SCORING*'),
      'read run*',
      // The end: DONE and the score in one transaction, read back with the run's version in one
      // query, then marked verified in one statement of its own.
      ...tx('transition DONE*', 'insert score'),
      'read score*',
      'mark verified*',
    ]);
  });

  async function verified(id: string) {
    for (let i = 0; i < 500; i++) {
      const rows = await service.orm.em
        .getConnection()
        .execute(`select persistence from scoring.scoring_run where id = ?`, [id]);
      if (rows[0]?.persistence === 'VERIFIED') return;
      await sleep(10);
    }
    throw new Error(`run ${id} not verified`);
  }
});
