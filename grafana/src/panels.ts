// Shared building blocks of Assay's dashboards (grafana-foundation-sdk builders): one place for the
// datasource, the service/instance variables, the layout and the PromQL shapes every dashboard uses.
import { DashboardBuilder, QueryVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

const DATASOURCE = { type: 'prometheus', uid: 'prometheus' };

/** Every query is narrowed by the dashboard's service (`job`) and instance variables. */
export const SCOPE = 'job=~"$job", instance=~"$instance"';

/** `metric{scope, filter}`. */
export const series = (metric: string, filter = '') => `${metric}{${SCOPE}${filter ? `, ${filter}` : ''}}`;

/** Per-second rate summed by `by`. */
export const rate = (metric: string, by: string, filter = '') =>
  `sum by (${by}) (rate(${series(metric, filter)}[$__rate_interval]))`;

/** A quantile of a histogram, per `by` (none: over everything). */
export const quantile = (q: number, histogram: string, by = '', filter = '') =>
  `histogram_quantile(${q}, sum by (${by ? `${by}, ` : ''}le) (rate(${series(`${histogram}_bucket`, filter)}[$__rate_interval])))`;

export interface Query {
  expr: string;
  legend: string;
}

/** A time series panel; every panel says what it shows. */
export function timeseries(title: string, description: string, unit: string, queries: Query[]): PanelBuilder {
  const panel = new PanelBuilder().title(title).description(description).unit(unit).datasource(DATASOURCE);
  queries.forEach((q, i) => {
    panel.withTarget(
      new DataqueryBuilder()
        .refId(String.fromCharCode(65 + i))
        .expr(q.expr)
        .legendFormat(q.legend)
        .datasource(DATASOURCE),
    );
  });
  return panel;
}

/** p50 and p99 of a histogram, by `by`. */
export const latency = (title: string, description: string, histogram: string, by = 'job', filter = '') =>
  timeseries(title, description, 's', [
    { expr: quantile(0.5, histogram, by, filter), legend: by ? `{{${by}}} p50` : 'p50' },
    { expr: quantile(0.99, histogram, by, filter), legend: by ? `{{${by}}} p99` : 'p99' },
  ]);

/** A dashboard with the service and instance variables, its panels laid out two per row. */
export function dashboard(
  uid: string,
  title: string,
  description: string,
  panels: PanelBuilder[],
): DashboardBuilder {
  const builder = new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['assay'])
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .withVariable(
      new QueryVariableBuilder('job')
        .label('Service')
        .query('label_values(up, job)')
        .datasource(DATASOURCE)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withVariable(
      new QueryVariableBuilder('instance')
        .label('Instance')
        .query('label_values(up{job=~"$job"}, instance)')
        .datasource(DATASOURCE)
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    );
  panels.forEach((panel, i) => {
    builder.withPanel(panel.gridPos({ h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 }));
  });
  return builder;
}
