import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, freePort, gql, runScript, type Started } from '@assay/kit/testing';
import { parse } from 'yaml';

// The shipped alert rules query metrics by name; a renamed metric would leave an alert silent. This
// proves every `assay_*` series they name is really emitted (the dashboards are proven against a
// real Prometheus, with a fuller workload, in prometheus.e2e.test.ts), by a
// scoring process that has run runs and a failure catalog that has taken their failures (one
// recovered, then regressed).

const ROOT = join(import.meta.dirname, '..', '..');
const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';

async function queries(): Promise<{ file: string; expr: string }[]> {
  const found: { file: string; expr: string }[] = [];
  const rules = parse(await readFile(join(ROOT, 'grafana/alerts/assay.rules.yaml'), 'utf8'));
  for (const group of rules.groups)
    for (const rule of group.rules) found.push({ file: 'assay.rules.yaml', expr: rule.expr });
  return found;
}

describe('alert rules name emitted metrics', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataDir: string;
  let scoring: Started;
  let catalog: Started;
  let review: Started;
  let port: number;
  let catalogPort: number;
  let reviewPort: number;
  const ready = async (process: Started, at: number) => {
    for (let ok = false; !ok; await sleep(100)) {
      assert.equal(process.child.exitCode, null, process.output());
      ok = await fetch(`http://127.0.0.1:${at}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
    }
  };
  before(async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'assay-grafana-'));
    port = await freePort();
    catalogPort = await freePort();
    reviewPort = await freePort();
    const env = { DATABASE_URL: database.url, ASSAY_DATA_DIR: dataDir, ASSAY_HOST: '127.0.0.1' };
    scoring = runScript('services/scoring/src/main.ts', { ...env, ASSAY_SCORING_PORT: String(port) });
    await ready(scoring, port);
    catalog = runScript('services/failure-catalog/src/main.ts', {
      ...env,
      ASSAY_FAILURE_CATALOG_PORT: String(catalogPort),
      ASSAY_FAILURE_INTAKE_INTERVAL_MS: '100',
    });
    await ready(catalog, catalogPort);
    review = runScript('services/review/src/main.ts', { ...env, ASSAY_REVIEW_PORT: String(reviewPort) });
    await ready(review, reviewPort);
  });
  after(async () => {
    for (const process of [scoring, catalog, review]) process.child.kill('SIGTERM');
    await scoring.exited;
    await catalog.exited;
    await review.exited;
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('name only assay_* metrics the scoring, review and failure-catalog processes really emit', async () => {
    const url = `http://127.0.0.1:${port}/graphql`;
    const started = await gql(
      url,
      'mutation($d: String!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d } }) { id } }',
      { d: DIFF },
    );
    const id = started.data!.startScoringRun.id as string;
    for (let status = ''; status !== 'DONE'; await sleep(50)) {
      status = (await gql(url, 'query($id: ID!) { scoringRun(id: $id) { status } }', { id })).data!.scoringRun
        .status;
      assert.notEqual(status, 'ERROR');
    }
    // Two LLM runs with no model configured: each fails (SCORER_UNAVAILABLE, the same fingerprint);
    // the group is recovered between them, so the second regresses it.
    const catalogUrl = `http://127.0.0.1:${catalogPort}/graphql`;
    const groups = async () =>
      (
        await gql(
          catalogUrl,
          '{ failureGroups(filter: { errorCode: "SCORER_UNAVAILABLE" }) { nodes { id count status } } }',
        )
      ).data!.failureGroups.nodes as { id: string; count: number; status: string }[];
    const failLlmRun = () =>
      gql(
        url,
        'mutation($d: String!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d }, scorer: LLM }) { id } }',
        { d: DIFF },
      );
    await failLlmRun();
    for (let i = 0; i < 100 && (await groups()).length === 0; i++) await sleep(100);
    const [group] = await groups();
    assert.ok(group, 'the failure reached the catalog');
    await gql(
      catalogUrl,
      'mutation($id: ID!) { updateFailureGroupRecovery(id: $id, input: { status: RECOVERED }) { id } }',
      {
        id: group.id,
      },
    );
    await failLlmRun();
    for (let i = 0; i < 100 && (await groups())[0]!.status !== 'REGRESSED'; i++) await sleep(100);
    assert.equal((await groups())[0]!.status, 'REGRESSED');

    const named = (await queries()).flatMap(({ file, expr }) =>
      [...expr.matchAll(/\bassay_[a-z_]+/g)].map((m) => ({ file, metric: m[0] })),
    );
    assert.ok(named.length >= 15, 'the alerts query the assay metrics');
    // DONE is visible a read-back before its event (and the metrics it feeds) is recorded.
    let emitted = new Set<string | undefined>();
    let missing = named;
    for (let i = 0; i < 100 && missing.length > 0; i++, await sleep(50)) {
      const exposition = (
        await Promise.all(
          [port, catalogPort, reviewPort].map(async (at) =>
            (await fetch(`http://127.0.0.1:${at}/metrics`)).text(),
          ),
        )
      ).join('\n');
      emitted = new Set(
        exposition
          .split('\n')
          .filter((line) => line.startsWith('assay_'))
          .map((line) => line.split(/[{ ]/)[0]),
      );
      missing = named.filter(({ metric }) => !emitted.has(metric));
    }
    assert.deepEqual(missing, [], `emitted: ${[...emitted].join(', ')}`);
  });
});
