/**
 * One interface for every scorer. A scorer turns a pull request into a score and nothing else:
 * persistence, lifecycle and retries of the run are the caller's.
 */
export type ScorerName = 'RULES' | 'LLM';

export type ViolationSeverity = 'INFO' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

export interface CriterionScore {
  /** Stable machine name, e.g. `change_size`. */
  criterion: string;
  /** 0–10. */
  score: number;
  /** Share of the total, 0–1; the weights of one score sum to 1. */
  weight: number;
  /** One sentence a reviewer can act on. */
  detail: string;
}

export interface Violation {
  file: string;
  /** Line in the new file, when known. */
  line: number | null;
  rule: string;
  severity: ViolationSeverity;
  message: string;
}

export interface ScoreResult {
  /** 0–10, rounded to one decimal. */
  value: number;
  /** `EXCELLENT` ≥ 8.5, `GOOD` ≥ 7, `FAIR` ≥ 5, else `POOR`. */
  band: ScoreBand;
  criteria: CriterionScore[];
  violations: Violation[];
  /** e.g. `rules@1` or `llm:gpt-5-mini@1`; changes whenever the same diff could score differently. */
  scorerVersion: string;
}

export type ScoreBand = 'EXCELLENT' | 'GOOD' | 'FAIR' | 'POOR';

export function bandOf(value: number): ScoreBand {
  if (value >= 8.5) return 'EXCELLENT';
  if (value >= 7) return 'GOOD';
  if (value >= 5) return 'FAIR';
  return 'POOR';
}

export interface ScoringSubjectInput {
  repository: string;
  prNumber: number | null;
  title: string | null;
  diff: string;
}

export interface ScoreContext {
  /** Aborted when the run is cancelled or its attempt is abandoned; a scorer stops promptly. */
  signal: AbortSignal;
  /** Reports a step (a heartbeat too); pct is 0–100 within the scoring phase. */
  progress(step: string, pct: number): Promise<void>;
}

export interface Scorer {
  readonly name: ScorerName;
  score(subject: ScoringSubjectInput, context: ScoreContext): Promise<ScoreResult>;
}
