import { AppError, type EntityManager } from '@assay/kit';
import type { Attempt, RunExecutor } from '@assay/kit/runs';
import { type ScorerKind, ScoringRun } from '../runs/run.entity.ts';
import type { Scorer } from '../scorers/scorer.ts';
import { completeRunWrite } from '../scores/score.writes.ts';

/** One attempt of a scoring run: the configured scorer scores the diff, and the score ends the run. */
export class ScoreExecutor implements RunExecutor<ScoringRun> {
  constructor(private readonly scorers: Partial<Record<ScorerKind, Scorer>>) {}

  load(em: EntityManager, runId: string): Promise<ScoringRun | null> {
    return em.findOne(ScoringRun, { id: runId }, { populate: ['diff'] });
  }

  async execute(run: ScoringRun, attempt: Attempt): Promise<void> {
    const scorer = this.scorers[run.scorer];
    if (!scorer) {
      throw new AppError(
        'SCORER_UNAVAILABLE',
        `the ${run.scorer} scorer is not configured on this server (the LLM scorer needs OPENAI_API_KEY)`,
        false,
      );
    }
    await attempt.progress('scoring', 5);
    const score = await scorer.score(
      { repository: run.repository, prNumber: run.prNumber, title: run.title, diff: run.diff },
      // The scorer's steps may be skipped when the next comes before they are stored: a rules scorer's
      // take microseconds, and a step stored and published for each would cost more than the scoring.
      { signal: attempt.signal, progress: (step, pct) => attempt.note(step, 5 + pct * 0.9) },
    );
    if (attempt.signal.aborted) return;
    await attempt.complete(completeRunWrite, { score }, 'SCORE_NOT_STORED');
  }
}
