import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '@assay/kit';
import { gql, startReplica } from '@assay/kit/testing';
import { FaultDb } from '../../kit/test/support/fault-db.ts';
import { scoringService } from '../src/app.ts';

// A run started while PostgreSQL is stopped is accepted (spooled to disk), and once the database is
// back it is stored, queued and scored like any other: accepted means it will not be lost.

const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';

const START =
  'mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id status persistence } }';

async function readinessOf(url: string) {
  const response = await fetch(url);
  const body = (await response.json()) as { checks: Record<string, { ok: boolean; detail?: unknown }> };
  return { status: response.status, checks: body.checks };
}

describe('scoring while the database is away (a PostgreSQL this file stops)', () => {
  let db: FaultDb;
  let service: RunningService;

  before(async () => {
    db = await FaultDb.start();
    service = await startReplica(scoringService, db.url, {
      ASSAY_DB_CONNECT_TIMEOUT_MS: '500',
      ASSAY_WRITE_RETRIES: '1',
      ASSAY_BREAKER_HALF_OPEN_MS: '500',
      ASSAY_SPOOL_REPLAY_INTERVAL_MS: '200',
      ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: '1000',
      ASSAY_WATCHDOG_INTERVAL_MS: '200',
    });
  });
  after(async () => {
    await service.stop();
    await db.destroy();
  });

  it('accepts a run with the database stopped, then stores, queues and scores it once it is back', async () => {
    await db.server.stop();
    const started = await gql(service.url, START, {
      input: { subject: { repository: 'acme/api', diff: DIFF }, idempotencyKey: 'while-away' },
    });
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    const { id, status, persistence } = started.data!.startScoringRun;
    assert.deepEqual({ status, persistence }, { status: 'QUEUED', persistence: 'SPOOLED' });
    assert.ok(service.writer.spool.depth >= 1, 'on disk');
    // Not ready while writes only reach the spool (on 0e3943f /readyz stayed 200 with the breaker open).
    const readyz = service.url.replace('/graphql', '/readyz');
    let readiness = await readinessOf(readyz);
    for (let i = 0; i < 20 && readiness.checks.breaker?.ok !== false; i++) {
      await gql(service.url, START, { input: { subject: { repository: 'acme/api', diff: DIFF } } });
      readiness = await readinessOf(readyz);
    }
    assert.equal(readiness.status, 503);
    assert.equal(readiness.checks.breaker?.ok, false, JSON.stringify(readiness.checks));

    await db.server.start();
    let run: { status: string; persistence: string; score: { verifiedAt: string | null } | null } | null =
      null;
    // The verified mark follows the DONE commit by one read-back.
    for (let i = 0; i < 600 && !(run?.status === 'DONE' && run.score?.verifiedAt); i++) {
      await sleep(100);
      const read = await gql(
        service.url,
        'query($id: ID!) { scoringRun(id: $id) { status persistence score { verifiedAt } } }',
        { id },
      ).catch(() => undefined);
      run = read?.data?.scoringRun ?? null;
    }
    assert.equal(run?.status, 'DONE', JSON.stringify(run));
    assert.ok(run?.score?.verifiedAt, 'its score is verified');
    const rows = await db.query<{ n: string }>(
      `select count(*) as n from scoring.scoring_run where idempotency_key = 'while-away'`,
    );
    assert.equal(Number(rows[0]?.n), 1, 'stored once');
    for (let i = 0; i < 100 && readiness.status !== 200; i++) {
      await sleep(100);
      readiness = await readinessOf(readyz);
    }
    assert.equal(readiness.status, 200, JSON.stringify(readiness.checks));
  });
});
