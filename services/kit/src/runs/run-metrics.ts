import { meter } from '../telemetry/telemetry.ts';
import type { RunEvent } from './run-events.ts';
import { isLive, type RunKind } from './run-kind.ts';

/**
 * Run metrics from the events a replica publishes: transitions by the status entered
 * (`assay_<service>_run_transitions`), and the execution time from claimed to a final status of
 * the runs this replica ran (`assay_<service>_run_execution_seconds`). Labels are statuses only.
 */
export function createRunMetrics(kind: RunKind) {
  const m = meter();
  const transitions = m.createCounter(`assay_${kind.service}_run_transitions`, {
    description: 'Runs entering a status (queued again means a retry or the watchdog re-queued one)',
  });
  const execution = m.createHistogram(`assay_${kind.service}_run_execution_seconds`, {
    description: 'From the claim to the final status, on the replica that ran the run',
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
      if (event.status === kind.statuses.claimed && !running.has(event.runId)) {
        running.set(event.runId, performance.now());
      } else if (!isLive(kind, event.status)) {
        const startedAt = running.get(event.runId);
        running.delete(event.runId);
        if (startedAt !== undefined)
          execution.record((performance.now() - startedAt) / 1000, { status: event.status });
      } else if (event.status === kind.statuses.queued) {
        running.delete(event.runId);
      }
    },
    /** A run another replica stopped: this one no longer times it. */
    forget(runId: string): void {
      running.delete(runId);
    },
  };
}
