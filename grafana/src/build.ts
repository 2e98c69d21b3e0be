// npm run grafana:build [-- --check]: generates grafana/dashboards/*.json from the dashboard
// modules here (one per dashboard). With --check it writes nothing and fails when a checked-in
// file differs from what the modules generate (CI runs it, like the schema check).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';

const OUT = join(import.meta.dirname, '..', 'dashboards');
const MODULES = ['overview', 'scoring', 'reliability', 'review', 'failures', 'llm'];

/** Every dashboard, as the JSON Grafana provisions. */
export async function buildDashboards(): Promise<Map<string, string>> {
  const built = new Map<string, string>();
  for (const name of MODULES) {
    const builder = ((await import(`./${name}.ts`)) as { default: DashboardBuilder }).default;
    built.set(`${name}.json`, `${JSON.stringify(builder.build(), null, 2)}\n`);
  }
  return built;
}

if (import.meta.main) {
  const check = process.argv.includes('--check');
  const built = await buildDashboards();
  const present = (await readdir(OUT)).filter((f) => f.endsWith('.json'));
  const stale = [
    ...present.filter((f) => !built.has(f)).map((f) => `${f} has no module in grafana/src`),
    ...(
      await Promise.all(
        [...built].map(async ([file, json]) => {
          const current = await readFile(join(OUT, file), 'utf8').catch(() => null);
          return current === json ? null : `${file} differs from grafana/src/${file.replace('.json', '.ts')}`;
        }),
      )
    ).filter((s): s is string => s !== null),
  ];
  if (check) {
    if (stale.length > 0) {
      process.stderr.write(`grafana:check: ${stale.join('; ')}: run npm run grafana:build\n`);
      process.exit(1);
    }
  } else {
    for (const [file, json] of built) await writeFile(join(OUT, file), json);
    process.stdout.write(`wrote ${[...built.keys()].map((f) => `grafana/dashboards/${f}`).join(', ')}\n`);
  }
}
