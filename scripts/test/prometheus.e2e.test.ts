import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeOpenAI, freePort, gql, runScript, type Started, systemPorts } from '@assay/kit/testing';
import { FaultDb } from '../../services/kit/test/support/fault-db.ts';
import { panel } from '../../services/review/test/support.ts';
import { prometheusBinary } from './prometheus-tools.ts';

// The whole system as `npm start` runs it, scraped every second by a real Prometheus that evaluates
// the shipped rule file. A healthy workload fires nothing and fills every dashboard panel; then
// PostgreSQL is stopped: the breaker and spooling alerts fire, and resolve once it is back.

const ROOT = join(import.meta.dirname, '..', '..');
const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1,2 @@\n a\n+b\n';
const prometheus = prometheusBinary('prometheus');

interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

describe('alerts and dashboards on a real Prometheus', { skip: prometheus.skip, timeout: 600_000 }, () => {
  let db: FaultDb;
  let system: Started;
  let promUrl: string;
  let promDir: string;
  let prom: ReturnType<typeof spawn>;
  let url: string;
  let openai: FakeOpenAI;

  before(async () => {
    db = await FaultDb.start();
    // The model, faked at the network edge: reviews complete; a scoring run's LLM call gets a
    // review-shaped answer, which does not fit the score schema, so that run ends in ERROR.
    openai = await FakeOpenAI.start();
    openai.otherwise(panel({}));
    const ports = await systemPorts();
    promDir = await mkdtemp(join(tmpdir(), 'assay-prometheus-'));
    // Its own data directory: the spools of another system started by a test side by side stay apart.
    system = runScript('scripts/start.ts', {
      DATABASE_URL: db.url,
      ASSAY_DATA_DIR: join(promDir, 'assay'),
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      ...ports,
    });
    url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
    const targets = {
      gateway: ports.ASSAY_GATEWAY_PORT,
      scoring: ports.ASSAY_SCORING_PORT,
      review: ports.ASSAY_REVIEW_PORT,
      'failure-catalog': ports.ASSAY_FAILURE_CATALOG_PORT,
    };
    const config = [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(join(ROOT, 'grafana/alerts/assay.rules.yaml'))}]`,
      'scrape_configs:',
      ...Object.entries(targets).map(
        ([job, port]) => `  - { job_name: ${job}, static_configs: [{ targets: ["127.0.0.1:${port}"] }] }`,
      ),
    ].join('\n');
    await writeFile(join(promDir, 'prometheus.yaml'), `${config}\n`);
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prom = spawn(
      prometheus.path!,
      [
        `--config.file=${join(promDir, 'prometheus.yaml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: 'ignore' },
    );
    for (let ready = false; !ready; await sleep(200)) {
      assert.equal(prom.exitCode, null, 'prometheus exited');
      ready = await fetch(`${promUrl}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
    }
  });
  after(async () => {
    prom?.kill('SIGTERM');
    if (system?.child.exitCode === null) system.child.kill('SIGTERM');
    await system?.exited;
    await db?.destroy();
    await openai?.close();
    if (promDir) await rm(promDir, { recursive: true, force: true });
  });

  const api = async <T>(path: string): Promise<T> => {
    const body = (await (await fetch(`${promUrl}${path}`)).json()) as {
      status: string;
      data: T;
      error?: string;
    };
    assert.equal(body.status, 'success', `${path}: ${body.error}`);
    return body.data;
  };
  const alerts = async () => (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
  const firing = async () =>
    new Set((await alerts()).filter((a) => a.state === 'firing').map((a) => a.labels.alertname));
  const query = (expr: string) =>
    api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`).then((d) => d.result);
  const until = async (what: string, ms: number, probe: () => Promise<boolean>) => {
    const deadline = Date.now() + ms;
    while (!(await probe())) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}: firing ${[...(await firing())]}`);
      await sleep(1000);
    }
  };
  const startRun = (scorer: 'RULES' | 'LLM') =>
    gql(
      url,
      'mutation($d: String!, $s: ScorerKind!) { startScoringRun(input: { subject: { repository: "acme/api", diff: $d }, scorer: $s }) { id } }',
      { d: DIFF, s: scorer },
    );

  it('healthy: scoring, a review with the model and failures fire no alert', async () => {
    await until('every process scraped', 30_000, async () => (await query('up == 1')).length === 4);
    for (let i = 0; i < 10; i++) await startRun('RULES');
    await startRun('LLM'); // the model's answer does not fit: ERROR, a failure for the catalog
    const review = await gql(
      url,
      'mutation { startReview(input: { idea: "Cache scores per commit so CI re-runs are free." }) { id } }',
    );
    assert.equal(review.errors, undefined, JSON.stringify(review.errors));
    await until(
      'the failure in the catalog',
      30_000,
      async () => (await query('assay_failures_recorded_total')).length > 0,
    );
    await sleep(15_000); // rate windows fill, rules evaluate
    assert.deepEqual(await alerts(), [], 'no alert pending or firing while healthy');
  });

  it('PostgreSQL stopped: the breaker and spooling alerts fire; back: they resolve', async () => {
    await db.server.stop();
    let writing = true;
    // Clients keep submitting: each write is accepted and spooled.
    const load = (async () => {
      while (writing) {
        await startRun('RULES').catch(() => undefined);
        await sleep(250);
      }
    })();
    try {
      await until('AssayBreakerOpen and AssayWritesSpooling firing', 180_000, async () => {
        const now = await firing();
        return now.has('AssayBreakerOpen') && now.has('AssayWritesSpooling');
      });
      const during = await alerts();
      assert.ok(
        during.every((a) => a.labels.alertname !== 'AssayProcessDown'),
        'every process stays up while the database is away',
      );
    } finally {
      writing = false;
      await load;
      await db.server.start();
    }
    await until('the outage alerts resolved', 180_000, async () => {
      const now = await firing();
      return !now.has('AssayBreakerOpen') && !now.has('AssayWritesSpooling');
    });
  });

  it('every dashboard panel query returns series from this workload', async () => {
    const empty: string[] = [];
    for (const file of await readdir(join(ROOT, 'grafana/dashboards'))) {
      const dashboard = JSON.parse(await readFile(join(ROOT, 'grafana/dashboards', file), 'utf8'));
      for (const panel of dashboard.panels)
        for (const target of panel.targets) {
          // As Grafana sends it with "All" services and instances selected.
          const expr = target.expr
            .replaceAll('$__rate_interval', '10m')
            .replaceAll('$job', '.*')
            .replaceAll('$instance', '.*');
          const result = await query(expr);
          if (result.length === 0) empty.push(`${file}: ${panel.title}: ${target.expr}`);
        }
    }
    const names = await api<string[]>('/api/v1/label/__name__/values');
    assert.deepEqual(empty, [], `metrics Prometheus has: ${names.join(' ')}`);
  });
  it('metric hygiene and scrape cost: assay_ names with units, bounded labels, fewer than 2,000 series per process', async (t) => {
    const jobs = ['gateway', 'scoring', 'review', 'failure-catalog'];
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
    const problems: string[] = [];
    let expositions = '';
    for (const job of jobs) {
      const series = await api<Record<string, string>[]>(
        `/api/v1/series?match[]=${encodeURIComponent(`{job="${job}"}`)}&start=${(Date.now() - 3_600_000) / 1000}`,
      );
      const scraped = series.filter((s) => !/^(up|scrape_.*|ALERTS.*|target_info)$/.test(s.__name__!));
      const perLabel = new Map<string, Set<string>>();
      for (const s of scraped) {
        const name = s.__name__!;
        // Our own metrics: the prefix, counters as _total, time in seconds.
        if (!/^(assay_|http_|db_|messaging_|pgboss_)/.test(name))
          problems.push(`${job}: ${name} has no assay_ prefix`);
        if (name.startsWith('assay_') && /(_ms|_milliseconds)(_|$)/.test(name))
          problems.push(`${name}: time not in seconds`);
        for (const [label, value] of Object.entries(s)) {
          if (label === '__name__' || label === 'job' || label === 'instance' || label === 'le') continue;
          if (uuid.test(value)) problems.push(`${name}{${label}}: an id as a label value (${value})`);
          const key = `${name}{${label}}`;
          perLabel.set(key, (perLabel.get(key) ?? new Set()).add(value));
        }
      }
      for (const [key, values] of perLabel)
        if (values.size > 50) problems.push(`${job}: ${key} has ${values.size} values: it grows with input`);
      const targets = await api<{ activeTargets: { labels: { job: string }; scrapeUrl: string }[] }>(
        '/api/v1/targets',
      );
      const started = performance.now();
      const text = await (
        await fetch(targets.activeTargets.find((a) => a.labels.job === job)!.scrapeUrl)
      ).text();
      const ms = performance.now() - started;
      expositions += text;
      const count = text.split('\n').filter((l) => l && !l.startsWith('#')).length;
      t.diagnostic(
        `${job}: /metrics ${count} series, ${Math.round(text.length / 1024)} KiB, ${ms.toFixed(1)} ms`,
      );
      if (count >= 2000) problems.push(`${job}: ${count} series (goal under 2,000)`);
    }
    // Buckets suited to what they measure: writes from 1 ms, model calls up to minutes.
    assert.match(
      expositions,
      /assay_persist_duration_seconds_bucket\{[^}]*le="0\.001"/,
      'write buckets from 1 ms',
    );
    assert.match(
      expositions,
      /assay_llm_request_duration_seconds_bucket\{[^}]*le="120"/,
      'model buckets to 2 minutes',
    );
    assert.deepEqual(problems, []);
  });
});
