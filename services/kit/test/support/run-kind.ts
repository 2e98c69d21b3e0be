import type { RunKind } from '../../src/runs/run-kind.ts';

/** A run kind for tests that need a job queue (`<service>-runs` in `<service>_jobs`) but no run table. */
export const testRunKind = (service: string): RunKind => ({
  service,
  table: `"${service}"."${service}_run"`,
  statuses: { queued: 'Q', claimed: 'R', working: 'R', done: 'D', failed: 'F', cancelled: 'C' },
  outbox: `"${service}"."failure_outbox"`,
  queue: { name: `${service}-runs`, schema: `${service}_jobs` },
});
