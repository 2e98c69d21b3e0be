import { dashboard, latency, rate, series, timeseries } from './panels.ts';

const RECORDED = 'assay_failures_recorded_total';

export default dashboard(
  'assay-failures',
  'Assay — failure catalog',
  'Failures recorded, matched, grouped and recovered.',
  [
    timeseries(
      'Failures recorded by service',
      'Failures stored in the catalog per second, by the service that reported them.',
      'ops',
      [{ expr: rate(RECORDED, 'service'), legend: '{{service}}' }],
    ),
    timeseries(
      'Failures by category',
      'Per second, by the category of the entry they matched; `uncatalogued` matched none.',
      'ops',
      [{ expr: rate(RECORDED, 'category'), legend: '{{category}}' }],
    ),
    timeseries(
      'Unmatched share',
      'Share of failures that matched no catalog entry (match type NONE).',
      'percentunit',
      [
        {
          expr: `(sum(rate(${series(RECORDED, 'match_type="NONE"')}[$__rate_interval])) or vector(0)) / sum(rate(${series(RECORDED)}[$__rate_interval]))`,
          legend: 'unmatched',
        },
      ],
    ),
    latency(
      'Intake lag',
      "From the failure happening (the producer's commit) to its storing.",
      'assay_failure_intake_lag_seconds',
      '',
    ),
    timeseries(
      'Outbox depth by producer',
      "Failures waiting in each producer's outbox at the last intake pass.",
      'short',
      [{ expr: `max by (producer) (${series('assay_failure_outbox_depth')})`, legend: '{{producer}}' }],
    ),
    timeseries(
      'Recoveries by status',
      'Recovery status changes per second (people, and RECOVERED by system).',
      'ops',
      [{ expr: rate('assay_failure_recoveries_total', 'status'), legend: '{{status}}' }],
    ),
    timeseries(
      'New failure groups by severity',
      'Failures never seen before, by the severity of their catalog entry.',
      'short',
      [
        {
          expr: `sum by (severity) (increase(${series('assay_failure_groups_created_total')}[$__rate_interval]))`,
          legend: '{{severity}}',
        },
      ],
    ),
    timeseries('Regressions', 'Groups marked RECOVERED or IGNORED that occurred again.', 'short', [
      {
        expr: `sum by (service) (increase(${series('assay_failure_groups_regressed_total')}[$__rate_interval]))`,
        legend: '{{service}}',
      },
    ]),
  ],
);
