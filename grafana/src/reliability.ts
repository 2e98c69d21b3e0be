import { dashboard, latency, rate, series, timeseries } from './panels.ts';

export default dashboard(
  'assay-reliability',
  'Assay — write path',
  'The reliable write path of every service: outcomes, latency, spool, breaker.',
  [
    timeseries(
      'Reliable writes by outcome',
      'Writes per second by outcome: saved, spooled, dead_lettered, …',
      'ops',
      [{ expr: rate('assay_persist_writes_total', 'job, outcome'), legend: '{{job}} {{outcome}}' }],
    ),
    latency(
      'Write latency',
      'From persist() to its outcome, retries included.',
      'assay_persist_duration_seconds',
    ),
    timeseries(
      'Spool depth',
      'Accepted writes waiting on local disk for the database, and quarantined ones.',
      'short',
      [
        { expr: `max by (job) (${series('assay_persist_spool_depth')})`, legend: '{{job}} waiting' },
        {
          expr: `max by (job) (${series('assay_persist_spool_quarantined')})`,
          legend: '{{job}} quarantined',
        },
      ],
    ),
    timeseries(
      'Database breaker',
      'Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 isolated.',
      'short',
      [{ expr: `max by (job) (${series('assay_persist_breaker_state')})`, legend: '{{job}}' }],
    ),
  ],
);
