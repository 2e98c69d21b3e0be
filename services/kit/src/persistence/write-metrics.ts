import { meter } from '../telemetry/telemetry.ts';

/** Outcomes of the reliable write path; the label set is bounded by design. */
export type WriteOutcome =
  | 'saved'
  | 'retried'
  | 'spooled'
  | 'dead_lettered'
  | 'verification_failed'
  | 'replayed';

export const BREAKER_STATE = { closed: 0, half_open: 1, open: 2, isolated: 3 } as const;

/** Instruments are created once per process; the exporters pick them up from the global meter. */
export function createWriteMetrics(observe: {
  spoolDepth(): number;
  spoolQuarantined(): number;
  breakerState(): number;
}) {
  const m = meter();
  const writes = m.createCounter('assay_persist_writes', {
    description: 'Writes through the reliable path, by write and outcome',
  });
  const duration = m.createHistogram('assay_persist_duration_seconds', {
    description: 'Time from persist() to its outcome, retries included',
    unit: 's',
    advice: {
      explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    },
  });
  m.createObservableGauge('assay_persist_spool_depth', {
    description: 'Records in the local spool waiting for the database',
  }).addCallback((r) => r.observe(observe.spoolDepth()));
  m.createObservableGauge('assay_persist_spool_quarantined', {
    description: 'Spool records set aside because they cannot be replayed (they need a person)',
  }).addCallback((r) => r.observe(observe.spoolQuarantined()));
  m.createObservableGauge('assay_persist_breaker_state', {
    description: 'Database circuit breaker: 0 closed, 1 half-open, 2 open, 3 isolated',
  }).addCallback((r) => r.observe(observe.breakerState()));
  return {
    count(write: string, outcome: WriteOutcome, n = 1) {
      writes.add(n, { write, outcome });
    },
    observe(write: string, outcome: WriteOutcome, startedAt: number) {
      duration.record((performance.now() - startedAt) / 1000, { write, outcome });
    },
  };
}

export type WriteMetrics = ReturnType<typeof createWriteMetrics>;
