import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type GraphQLResult, gql, startTestService } from '@assay/kit/testing';
import { failureCatalogService } from '../src/app.ts';
import { createCatalogServices } from '../src/catalog-services.ts';
import type { FailureService } from '../src/failures/failure.service.ts';

// 100,000 failures over 30 days: every filter, the stats and a run's failures are answered from an
// index (no sequential scan in the plan PostgreSQL chooses for the very SQL the service sends), and
// the failures of 50 runs cost one query.

const ROWS = 100_000;

interface Plan {
  'Node Type': string;
  'Relation Name'?: string;
  'Rows Removed by Filter'?: number;
  Plans?: Plan[];
}
/** Sequential scans, and scans that read past many rows to find theirs (an index on the wrong column). */
const unindexed = (plan: Plan): string[] => [
  ...(plan['Node Type'] === 'Seq Scan' ? [`seq scan on ${plan['Relation Name']}`] : []),
  ...((plan['Rows Removed by Filter'] ?? 0) > 1000
    ? [`${plan['Node Type']} removed ${plan['Rows Removed by Filter']} rows by filter`]
    : []),
  ...(plan.Plans ?? []).flatMap(unindexed),
];

describe('failure queries at 100,000 rows (real PostgreSQL)', { timeout: 180_000 }, () => {
  let service: Awaited<ReturnType<typeof startTestService>>;
  let failures: FailureService;
  let capturing = false;
  let captured: { sql: string; params: readonly unknown[] }[] = [];
  const runIds = Array.from({ length: 2000 }, () => randomUUID());

  before(async () => {
    service = await startTestService(failureCatalogService, {
      ASSAY_FAILURE_INTAKE_INTERVAL_MS: '60000',
      // Seeding 100,000 rows on a busy machine can pass the default 15 s: plans are checked here, not times.
      ASSAY_DB_STATEMENT_TIMEOUT_MS: '300000',
    });
    ({ failures } = createCatalogServices(service.orm));
    const sql = service.orm.em.getConnection();
    // Each filter's value is rare (about 1 in 80): found only through an index on its column, or
    // by reading thousands of rows past it.
    await sql.execute(
      `insert into failure_catalog.failure_match (id, tenant_id, run_id, service, error_code, error_message,
         fingerprint, match_type, match_confidence, category, severity, retryable, recovery_status, recovered_at, created_at)
       select gen_random_uuid(), 'default', (?::text[])[1 + i % 2000],
         case when i % 97 = 0 then 'failure-catalog' when i % 2 = 0 then 'scoring' else 'review' end,
         'CODE_' || (i % 200), 'failure number ' || i, md5((i % 500)::text),
         case when i % 83 = 0 then 'PATTERN' when i % 3 = 0 then 'NONE' else 'EXACT' end, 0.5,
         case when i % 79 = 0 then 'database' when i % 3 = 0 then null else 'llm' end,
         case when i % 89 = 0 then 'CRITICAL' when i % 2 = 0 then 'LOW' else 'MEDIUM' end,
         i % 2 = 0,
         case when i % 73 = 0 then 'IGNORED' when i % 4 = 1 then 'RECOVERED' else 'UNRECOVERED' end,
         case when i % 4 = 1 and i % 73 <> 0 then now() - (i * interval '26 seconds') + interval '5 minutes' end,
         now() - (i * interval '26 seconds')
       from generate_series(1, ?) as i`,
      [`{${runIds.join(',')}}`, ROWS],
    );
    await sql.execute('analyze failure_catalog.failure_match');
    service.orm.config.set('onQuery', (query: string, params: readonly unknown[]) => {
      if (capturing && query.includes('failure_match') && !query.includes('failure_outbox'))
        captured.push({ sql: query, params });
      return query;
    });
  });
  after(() => service.stopAndDrop());

  /** The SQL statements on failure_match that `work` sends. */
  async function statementsOf(work: () => Promise<unknown>) {
    captured = [];
    capturing = true;
    try {
      await work();
    } finally {
      capturing = false;
    }
    return captured;
  }

  async function assertIndexed(what: string, work: () => Promise<unknown>) {
    const statements = await statementsOf(work);
    assert.ok(statements.length > 0, `${what}: no statement captured`);
    for (const { sql, params } of statements) {
      const formatted = service.orm.em.getPlatform().formatQuery(sql, params as unknown[]);
      const [row] = await service.orm.em
        .getConnection()
        .execute<{ 'QUERY PLAN': { Plan: Plan }[] }[]>(`explain (analyze, format json) ${formatted}`);
      const plan = row!['QUERY PLAN'][0]!.Plan;
      assert.deepEqual(unindexed(plan), [], `${what}: ${formatted}\n${JSON.stringify(plan, null, 1)}`);
    }
  }

  it('every filter of failures, unrecoveredFailures and failureStats is served by an index', async () => {
    const day = 86_400_000;
    const filters: Record<string, Record<string, unknown>> = {
      none: {},
      runId: { runId: runIds[7] },
      service: { service: 'failure-catalog' },
      errorCode: { errorCode: 'CODE_42' },
      category: { category: 'database' },
      severity: { severity: 'CRITICAL' },
      matchType: { matchType: 'PATTERN' },
      recoveryStatus: { recoveryStatus: 'IGNORED' },
      since: { since: new Date(Date.now() - 3 * day) },
      until: { until: new Date(Date.now() - 20 * day) },
      window: { since: new Date(Date.now() - 12 * day), until: new Date(Date.now() - 10 * day) },
      combined: { service: 'scoring', severity: 'CRITICAL' },
    };
    for (const [name, filter] of Object.entries(filters)) {
      await assertIndexed(`failures(${name})`, () => failures.list(filter, 50, null, 'default'));
      const page = await failures.list(filter, 50, null, 'default');
      assert.ok(page.nodes.length > 0, `${name} finds failures`);
      await assertIndexed(`failures(${name}) page 2`, () =>
        failures.list(filter, 50, page.pageInfo.endCursor, 'default'),
      );
    }
    await assertIndexed('unrecoveredFailures', () => failures.unrecovered(null, 50, null, 'default'));
    await assertIndexed('unrecoveredFailures(category)', () =>
      failures.unrecovered('database', 50, null, 'default'),
    );
    await assertIndexed('failureStats(24)', () => failures.stats(24, 'default'));
  });

  it('the failures of 50 runs, asked for in one _entities call, are one query', async () => {
    const fifty = runIds.slice(0, 50);
    let result: GraphQLResult | undefined;
    const statements = await statementsOf(async () => {
      result = await gql(
        service.url,
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on ScoringRun { id failures { id runId } } } }',
        { r: fifty.map((id) => ({ __typename: 'ScoringRun', id })) },
      );
    });
    assert.equal(result!.errors, undefined, JSON.stringify(result!.errors));
    const entities = result!.data!._entities as { id: string; failures: { runId: string }[] }[];
    assert.equal(entities.length, 50);
    for (const run of entities) {
      assert.equal(run.failures.length, ROWS / 2000, 'each run its own failures');
      assert.ok(run.failures.every((f) => f.runId === run.id));
    }
    assert.equal(statements.length, 1, statements.map((s) => s.sql).join('\n'));
    await assertIndexed('failures of 50 runs', () =>
      gql(
        service.url,
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on ScoringRun { failures { id } } } }',
        { r: fifty.map((id) => ({ __typename: 'ScoringRun', id })) },
      ),
    );
  });
});
