import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from '@assay/kit';
import { createTestDatabase, runScript, startReplica } from '@assay/kit/testing';
import { reviewService } from '../../review/src/app.ts';
import { scoringService } from '../../scoring/src/app.ts';
import { failureCatalogService } from '../src/app.ts';

// `npm run failures:synth` against a running system: its failures go through the outboxes into the
// catalog, group by kind, and the same seed sent again stores nothing twice.

describe('npm run failures:synth', { timeout: 120_000 }, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let services: RunningService[];
  before(async () => {
    database = await createTestDatabase();
    services = [
      await startReplica(scoringService, database.url, { ASSAY_SCORING_CONCURRENCY: '0' }),
      await startReplica(reviewService, database.url, { ASSAY_REVIEW_CONCURRENCY: '0' }),
      await startReplica(failureCatalogService, database.url, { ASSAY_FAILURE_INTAKE_INTERVAL_MS: '100' }),
    ];
  });
  after(async () => {
    for (const s of services ?? []) await s.stop();
    await database?.drop();
  });

  const synth = async (...args: string[]) => {
    const run = runScript('scripts/failures-synth.ts', { DATABASE_URL: database.url }, args);
    const { code } = await run.exited;
    return { code, output: run.output() };
  };
  const stored = async () => {
    const [row] = await services[2]!.orm.em
      .getConnection()
      .execute<{ n: string; groups: string; known: string }[]>(
        `select count(*) as n, count(distinct group_id) as groups, count(*) filter (where match_type <> 'NONE') as known
         from failure_catalog.failure_match where stage = 'synthetic'`,
      );
    return { n: Number(row!.n), groups: Number(row!.groups), known: Number(row!.known) };
  };
  const until = async (n: number) => {
    for (let i = 0; i < 200 && (await stored()).n < n; i++) await sleep(100);
    return stored();
  };

  it('sends realistic failures through the intake path, grouped, once per seed', async () => {
    const first = await synth('--count', '600', '--seed', '7');
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /sent 600 failures \(seed 7; \d+ with catalogued codes, \d+ unknown\)/);
    const after = await until(600);
    assert.equal(after.n, 600);
    assert.ok(
      after.known > 300 && after.known < 600,
      `a mix of known and unknown codes: ${after.known} known`,
    );
    assert.ok(after.groups < 300, `ids and numbers in messages group together: ${after.groups} groups`);
    const again = await synth('--count', '600', '--seed', '7');
    assert.equal(again.code, 0, again.output);
    await sleep(1000);
    assert.equal((await stored()).n, 600, 'the same seed stores nothing twice');
  });

  it('refuses bad flags in one line with the usage', async () => {
    const bad = await synth('--count', 'lots');
    assert.equal(bad.code, 2);
    assert.match(bad.output, /--count must be a whole number/);
    assert.match(bad.output, /usage: npm run failures:synth/);
  });
});
