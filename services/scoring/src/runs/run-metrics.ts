import { meter } from '@assay/kit/telemetry';
import { LIVE_STATUSES, RunStatus } from './run.entity.ts';
import type { RunEvent } from './run-lifecycle.ts';

/**
 * Run metrics from the events a replica publishes: transitions by the status entered, and the
 * execution time (RUNNING to a final status) of the runs this replica ran. Labels are statuses only.
 */
export function createRunMetrics() {
  const m = meter();
  const transitions = m.createCounter('assay_scoring_run_transitions', {
    description: 'Runs entering a status (QUEUED again means the watchdog re-queued one)',
  });
  const execution = m.createHistogram('assay_scoring_run_execution_seconds', {
    description: 'From RUNNING to DONE, ERROR or CANCELLED, on the replica that ran the run',
    unit: 's',
    advice: {
      explicitBucketBoundaries: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    },
  });
  const running = new Map<string, number>();
  return {
    /** Every event this replica publishes. */
    record(event: RunEvent): void {
      transitions.add(1, { status: event.status });
      if (event.status === RunStatus.RUNNING) {
        running.set(event.runId, performance.now());
      } else if (!LIVE_STATUSES.includes(event.status)) {
        const startedAt = running.get(event.runId);
        running.delete(event.runId);
        if (startedAt !== undefined)
          execution.record((performance.now() - startedAt) / 1000, { status: event.status });
      } else if (event.status === RunStatus.QUEUED) {
        running.delete(event.runId);
      }
    },
    /** A run another replica stopped: this one no longer times it. */
    forget(runId: string): void {
      running.delete(runId);
    },
  };
}
