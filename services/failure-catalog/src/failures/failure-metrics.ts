import { meter } from '@assay/kit/telemetry';
import type { RecordedFailure } from './failure.service.ts';

/** Services that report failures; any other name is counted as `other`. */
const SERVICES = new Set(['scoring', 'review', 'failure-catalog', 'gateway']);
/** Categories come from the catalog, which people edit: past this many, a new one is `other`. */
const MAX_CATEGORIES = 50;

/**
 * The failure catalog's metrics. Every label has a bounded set of values: an uncatalogued code is
 * `uncatalogued`, never the raw code, and no id or message is ever a label. One set per process.
 */
export function failureMetrics(): FailureMetrics {
  instance ??= createFailureMetrics();
  return instance;
}
let instance: FailureMetrics | undefined;

function createFailureMetrics() {
  const m = meter();
  const recorded = m.createCounter('assay_failures_recorded', {
    description: 'Failures stored in the catalog, by service, category and match type',
  });
  const lag = m.createHistogram('assay_failure_intake_lag_seconds', {
    description: 'From the failure happening (producer commit) to its storing in the catalog',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] },
  });
  const recoveries = m.createCounter('assay_failure_recoveries', {
    description: 'Recovery status changes of failures, by the status set',
  });
  const regressed = m.createCounter('assay_failure_groups_regressed', {
    description: 'Failure groups marked RECOVERED or IGNORED that occurred again',
  });
  const created = m.createCounter('assay_failure_groups_created', {
    description: 'New failure groups (a failure never seen before), by service and catalog severity',
  });
  const depth = new Map<string, number>();
  m.createObservableGauge('assay_failure_outbox_depth', {
    description: 'Failures waiting in a producer’s outbox, as of the last intake pass',
  }).addCallback((r) => {
    for (const [producer, n] of depth) r.observe(n, { producer });
  });
  // Every series an alert or panel reads exists from the start (at 0), so "none yet" shows as 0,
  // not as "no data".
  for (const service of SERVICES) {
    regressed.add(0, { service });
    for (const severity of ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'uncatalogued'])
      created.add(0, { service, severity });
  }
  for (const status of ['UNRECOVERED', 'RECOVERED', 'IGNORED']) recoveries.add(0, { status });
  const categories = new Set<string>();
  const label = {
    service: (service: string) => (SERVICES.has(service) ? service : 'other'),
    category(category: string | null): string {
      if (!category) return 'uncatalogued';
      if (categories.has(category)) return category;
      if (categories.size >= MAX_CATEGORIES) return 'other';
      categories.add(category);
      return category;
    },
  };
  return {
    /** A failure just committed to the catalog. */
    recorded(f: RecordedFailure) {
      const service = label.service(f.service);
      recorded.add(1, { service, category: label.category(f.category), match_type: f.matchType });
      lag.record(Math.max(0, (Date.now() - f.occurredAt.getTime()) / 1000), { service });
      if (f.groupCreated) created.add(1, { service, severity: f.severity ?? 'uncatalogued' });
      if (f.groupRegressed) regressed.add(1, { service });
    },
    recovered(status: string, n: number) {
      if (n > 0) recoveries.add(n, { status });
    },
    outboxDepth(producer: string, n: number) {
      depth.set(producer, n);
    },
  };
}

export type FailureMetrics = ReturnType<typeof createFailureMetrics>;
