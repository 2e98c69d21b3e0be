import { InvalidDiffError, parseDiff } from '../parse-diff.ts';
import {
  bandOf,
  type ScoreContext,
  type ScoreResult,
  type Scorer,
  type ScoringSubjectInput,
} from '../scorer.ts';
import { applyRules } from './rules.ts';

/** Deterministic scoring by fixed rules: the same diff always gets the same result. See RUBRIC.md. */
export class RulesScorer implements Scorer {
  readonly name = 'RULES';
  readonly scorerVersion = 'rules@1';

  async score(subject: ScoringSubjectInput, context: ScoreContext): Promise<ScoreResult> {
    const { signal } = context;
    signal.throwIfAborted();
    await context.progress('parsing diff', 10);
    signal.throwIfAborted();
    const files = parseDiff(subject.diff);
    if (files.length === 0) throw new InvalidDiffError();

    await context.progress('applying rules', 50);
    signal.throwIfAborted();
    const { criteria, violations } = applyRules(files);

    await context.progress('done', 100);
    signal.throwIfAborted();
    const value = Math.round(criteria.reduce((total, c) => total + c.score * c.weight, 0) * 10) / 10;
    return { value, band: bandOf(value), criteria, violations, scorerVersion: this.scorerVersion };
  }
}
