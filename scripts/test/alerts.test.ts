import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { prometheusBinary } from './prometheus-tools.ts';

// The alert rules are one Prometheus rule file with a promtool unit test per alert; every dashboard
// query is valid PromQL; every alert says what to check and where its runbook is.

const ROOT = join(import.meta.dirname, '..', '..');
const RULES = join(ROOT, 'grafana/alerts/assay.rules.yaml');
const TESTS = join(ROOT, 'grafana/alerts/assay.rules.test.yaml');
const promtool = prometheusBinary('promtool');

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = parse(readFileSync(RULES, 'utf8')).groups.flatMap((g: { rules: Rule[] }) => g.rules);

const run = (args: string[]) => {
  const result = spawnSync(promtool.path!, args, { encoding: 'utf8', cwd: ROOT });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
};

describe('alert rules', () => {
  test('promtool check rules accepts the rule file', { skip: promtool.skip }, () => {
    const { code, output } = run(['check', 'rules', RULES]);
    assert.equal(code, 0, output);
    assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  test('promtool test rules: every alert fires on its series and stays silent on the others', {
    skip: promtool.skip,
  }, () => {
    const { code, output } = run(['test', 'rules', TESTS]);
    assert.equal(code, 0, output);
  });

  test('each alert has a firing and a silent case in the unit tests', () => {
    const cases = parse(readFileSync(TESTS, 'utf8')).tests.flatMap(
      (t: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }) => t.alert_rule_test,
    );
    for (const rule of rules) {
      const mine = cases.filter((c: { alertname: string }) => c.alertname === rule.alert);
      assert.ok(
        mine.some((c: { exp_alerts: unknown[] }) => c.exp_alerts.length > 0),
        `${rule.alert} fires in a test`,
      );
      assert.ok(
        mine.some((c: { exp_alerts: unknown[] }) => c.exp_alerts.length === 0),
        `${rule.alert} is silent in a test`,
      );
    }
  });

  test('each alert has a severity, summary, description and a runbook that exists', () => {
    assert.ok(rules.length >= 13);
    for (const rule of rules) {
      assert.match(rule.labels?.severity ?? '', /^(page|ticket)$/, rule.alert);
      assert.ok(
        rule.annotations?.summary && rule.annotations.description,
        `${rule.alert} says what is wrong`,
      );
      const [file, anchor] = (rule.annotations?.runbook_url ?? '').split('#');
      assert.ok(file && existsSync(join(ROOT, file)), `${rule.alert}: runbook ${file} exists`);
      assert.equal(anchor, rule.alert.toLowerCase(), `${rule.alert}: the anchor is its name`);
      assert.match(
        readFileSync(join(ROOT, file), 'utf8'),
        new RegExp(`^## ${rule.alert}$`, 'm'),
        `${rule.alert} in ${file}`,
      );
    }
  });

  test('every dashboard query is valid PromQL', { skip: promtool.skip }, () => {
    const exprs: string[] = [];
    for (const file of readdirSync(join(ROOT, 'grafana/dashboards'))) {
      const dashboard = JSON.parse(readFileSync(join(ROOT, 'grafana/dashboards', file), 'utf8'));
      for (const panel of dashboard.panels) for (const t of panel.targets) exprs.push(t.expr);
    }
    // Grafana's interval variable becomes a duration; each query is checked as a recording rule.
    const dir = mkdtempSync(join(tmpdir(), 'assay-promql-'));
    try {
      const file = join(dir, 'dashboards.rules.yaml');
      const records = exprs.map((expr, i) => ({
        record: `assay:dashboard_query_${i}`,
        expr: expr
          .replaceAll('$__rate_interval', '5m')
          .replaceAll('$job', '.*')
          .replaceAll('$instance', '.*'),
      }));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboards', rules: records }] }));
      const { code, output } = run(['check', 'rules', file]);
      assert.equal(code, 0, output);
      assert.ok(exprs.length >= 20, `${exprs.length} dashboard queries`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
