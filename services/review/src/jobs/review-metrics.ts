import { meter } from '@assay/kit/telemetry';

/**
 * Review's own metrics. Labels are bounded: persona ids come from the persona set, decision labels
 * and outcomes are enums.
 */
export function createReviewMetrics(personaIds: readonly string[]) {
  const m = meter();
  const personas = m.createHistogram('assay_review_persona_duration_seconds', {
    description: 'One persona review (its model calls and retries included), by persona and outcome',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300] },
  });
  const failures = m.createCounter('assay_review_persona_failures', {
    description: 'Persona reviews given up after their retries, by persona',
  });
  const decisions = m.createCounter('assay_review_decisions', {
    description: 'Decisions stored, by label and whether personas were missing (partial)',
  });
  for (const persona of personaIds) failures.add(0, { persona });
  for (const label of ['APPROVE', 'REVISE', 'REJECT'])
    for (const partial of ['true', 'false']) decisions.add(0, { label, partial });
  return {
    persona(persona: string, outcome: 'ok' | 'failed', seconds: number) {
      personas.record(seconds, { persona, outcome });
      if (outcome === 'failed') failures.add(1, { persona });
    },
    decision(label: string, partial: boolean) {
      decisions.add(1, { label, partial: String(partial) });
    },
  };
}

export type ReviewMetrics = ReturnType<typeof createReviewMetrics>;
