import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDashboards } from '../../grafana/src/build.ts';

// The dashboards are generated from grafana/src (grafana-foundation-sdk); the checked-in JSON must be
// exactly what the modules build, and every panel must say what it shows.

const DASHBOARDS = join(import.meta.dirname, '..', '..', 'grafana', 'dashboards');

test('grafana/dashboards/*.json is what `npm run grafana:build` generates', async () => {
  const built = await buildDashboards();
  assert.deepEqual(
    (await readdir(DASHBOARDS)).filter((f) => f.endsWith('.json')).sort(),
    [...built.keys()].sort(),
  );
  for (const [file, json] of built)
    assert.equal(
      await readFile(join(DASHBOARDS, file), 'utf8'),
      json,
      `${file} is stale: run npm run grafana:build`,
    );
});

test('every dashboard has the service and instance variables, unique uids, and panels that describe themselves', async () => {
  const uids = new Set<string>();
  for (const [file, json] of await buildDashboards()) {
    const dashboard = JSON.parse(json);
    assert.ok(!uids.has(dashboard.uid), `${file}: uid ${dashboard.uid} is unique`);
    uids.add(dashboard.uid);
    assert.deepEqual(
      dashboard.templating.list.map((v: { name: string }) => v.name),
      ['job', 'instance'],
      file,
    );
    assert.ok(dashboard.panels.length >= 4, `${file} has panels`);
    for (const panel of dashboard.panels) {
      assert.ok(panel.description, `${file}: "${panel.title}" has a description`);
      for (const target of panel.targets)
        assert.match(
          target.expr,
          /job=~"\$job", instance=~"\$instance"/,
          `${file}: "${panel.title}" follows the variables`,
        );
    }
  }
  assert.deepEqual([...uids].sort(), [
    'assay-failures',
    'assay-llm',
    'assay-overview',
    'assay-reliability',
    'assay-review',
    'assay-scoring',
  ]);
});
