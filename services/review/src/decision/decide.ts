import type { Persona, PersonaSet } from '../personas/persona-set.ts';
import type { PersonaVerdict, Verdict } from '../reviewers/reviewer.ts';

/** The thresholds of the decision (ASSAY_REVIEW_*; see services/review/DECISIONS.md). */
export interface DecisionRule {
  /** Weighted confidence at or above which the decision is APPROVE. */
  approveAt: number;
  /** Weighted confidence below which it is REJECT; in between, REVISE. */
  rejectBelow: number;
  /** A persona with a blocking security concern at this confidence or more forces at least REVISE. */
  securityBlockAt: number;
  /** Personas that must have answered (and their share of the set's weight must be quorum/size). */
  quorum: number;
}

export const DEFAULT_RULE: DecisionRule = {
  approveAt: 0.75,
  rejectBelow: 0.4,
  securityBlockAt: 0.5,
  quorum: 3,
};

export function ruleFromConfig(config: {
  ASSAY_REVIEW_APPROVE_AT: number;
  ASSAY_REVIEW_REJECT_BELOW: number;
  ASSAY_REVIEW_SECURITY_BLOCK_AT: number;
  ASSAY_REVIEW_QUORUM: number;
}): DecisionRule {
  const rule = {
    approveAt: config.ASSAY_REVIEW_APPROVE_AT,
    rejectBelow: config.ASSAY_REVIEW_REJECT_BELOW,
    securityBlockAt: config.ASSAY_REVIEW_SECURITY_BLOCK_AT,
    quorum: config.ASSAY_REVIEW_QUORUM,
  };
  if (rule.rejectBelow > rule.approveAt)
    throw new Error('ASSAY_REVIEW_REJECT_BELOW must not be above ASSAY_REVIEW_APPROVE_AT');
  return rule;
}

export interface DecisionResult {
  label: Verdict;
  /** Weighted mean of the answering personas' confidences, 0–1, to 3 decimals. */
  overallWeightedConfidence: number;
  rationale: string;
  /** Personas whose own verdict differs from the label, with their summary. */
  dissent: string[];
  partial: boolean;
  missingPersonas: string[];
}

export interface NoQuorum {
  quorum: false;
  succeeded: string[];
  missing: string[];
}

/**
 * The panel's decision from the reviews that succeeded:
 * 1. Quorum: at least `rule.quorum` personas answered AND their weight is at least
 *    quorum / (personas in the set) of the set's total weight; otherwise no decision.
 * 2. The weighted mean of their confidences: ≥ approveAt APPROVE, < rejectBelow REJECT, else REVISE.
 * 3. A persona with `securityBlocking` at confidence ≥ securityBlockAt turns APPROVE into REVISE.
 * Missing personas make the decision `partial` and are named.
 */
export function decide(
  set: PersonaSet,
  reviews: { persona: Persona; verdict: PersonaVerdict }[],
  rule: DecisionRule = DEFAULT_RULE,
): DecisionResult | NoQuorum {
  const answered = new Set(reviews.map((r) => r.persona.id));
  const missing = set.personas.filter((p) => !answered.has(p.id)).map((p) => p.id);
  const totalWeight = set.personas.reduce((sum, p) => sum + p.weight, 0);
  const weight = reviews.reduce((sum, r) => sum + r.persona.weight, 0);
  const share = Math.min(1, rule.quorum / set.personas.length);
  if (reviews.length < Math.min(rule.quorum, set.personas.length) || weight < share * totalWeight - 1e-9)
    return { quorum: false, succeeded: [...answered], missing };

  const confidence =
    Math.round(
      (reviews.reduce((sum, r) => sum + r.persona.weight * r.verdict.confidence, 0) / weight) * 1000,
    ) / 1000;
  let label: Verdict =
    confidence >= rule.approveAt ? 'APPROVE' : confidence < rule.rejectBelow ? 'REJECT' : 'REVISE';
  const blockers = reviews.filter(
    (r) => r.verdict.securityBlocking && r.verdict.confidence >= rule.securityBlockAt,
  );
  const reasons = [
    `weighted confidence ${confidence} from ${reviews.length} of ${set.personas.length} personas`,
  ];
  if (label === 'APPROVE' && blockers.length > 0) {
    label = 'REVISE';
    reasons.push(
      `at least REVISE: blocking security concern from ${blockers.map((b) => b.persona.id).join(', ')}`,
    );
  }
  if (missing.length > 0) reasons.push(`partial: ${missing.join(', ')} did not answer`);
  return {
    label,
    overallWeightedConfidence: confidence,
    rationale: `${label}: ${reasons.join('; ')}`,
    dissent: reviews
      .filter((r) => r.verdict.verdict !== label)
      .map((r) => `${r.persona.id} (${r.verdict.verdict}): ${r.verdict.summary}`),
    partial: missing.length > 0,
    missingPersonas: missing,
  };
}
