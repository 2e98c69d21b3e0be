import { latency, rate, series, timeseries } from './panels.ts';

/** The panels every run service has (the kit's run engine emits the same metrics for each). */
export function runPanels(service: 'scoring' | 'review') {
  const done = service === 'scoring' ? 'DONE' : 'COMPLETED';
  return [
    timeseries(
      'Runs by status entered',
      'Transitions per second by the status entered (QUEUED again: a retry or re-queue).',
      'ops',
      [{ expr: rate(`assay_${service}_run_transitions_total`, 'status'), legend: '{{status}}' }],
    ),
    timeseries(`Runs ${done} per second`, 'Throughput: runs that finished successfully.', 'ops', [
      { expr: rate(`assay_${service}_run_transitions_total`, 'job', `status="${done}"`), legend: '{{job}}' },
    ]),
    latency(
      'Execution time',
      'From a worker claiming the run to its final status.',
      `assay_${service}_run_execution_seconds`,
      '',
    ),
    timeseries('Queue', 'The longest-waiting QUEUED run, and pg-boss jobs by state.', 's', [
      {
        expr: `max by (job) (${series(`assay_${service}_queue_oldest_seconds`)})`,
        legend: 'oldest queued (s)',
      },
    ]),
    timeseries(
      'Jobs by state',
      'pg-boss jobs of the service by state (ready: waiting for a worker).',
      'short',
      [
        {
          expr: `sum by (pgboss_job_state) (${series('pgboss_queue_jobs')})`,
          legend: '{{pgboss_job_state}}',
        },
      ],
    ),
    timeseries(
      'Watchdog actions',
      'Stalled runs: job re-sent, run re-queued, run failed (HEARTBEAT_TIMEOUT).',
      'short',
      [
        {
          expr: `sum by (action) (increase(${series(`assay_${service}_watchdog_actions_total`)}[$__rate_interval]))`,
          legend: '{{action}}',
        },
      ],
    ),
  ];
}
