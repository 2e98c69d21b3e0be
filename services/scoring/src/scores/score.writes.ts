import { randomUUID } from 'node:crypto';
import { contentHash, type EntityManager, type WriteDefinition } from '@assay/kit';
import { PersistenceState, RunStatus, ScoringRun } from '../runs/run.entity.ts';
import type { ScoreResult } from '../scorers/scorer.ts';
import { Score, scoreContent } from './score.entity.ts';

export interface CompleteRun {
  runId: string;
  attempt: number;
  score: ScoreResult;
  at: string;
}

export interface CompleteResult {
  /** False when the run had left SCORING at this attempt (cancelled or re-queued): no score stored. */
  applied: boolean;
  score: Score | null;
}

/**
 * The end of a successful run, in one transaction: the run becomes DONE (guarded by status and
 * attempt) and its score is stored with its hash. One score per run, whatever the retries. Once read
 * back and matched, the score is marked verified.
 */
export const completeRunWrite: WriteDefinition<CompleteRun, CompleteResult> = {
  name: 'scoring.run.complete',
  key: (p) => p.runId,
  content: (p) => scoreContent(p.runId, p.score),
  async write(em, p, hash) {
    const at = new Date(p.at);
    const moved = await em
      .createQueryBuilder(ScoringRun)
      .update({
        status: RunStatus.DONE,
        progressStep: 'done',
        progressPct: 100,
        finishedAt: at,
        heartbeatAt: at,
        updatedAt: at,
      })
      .where({ id: p.runId, attempt: p.attempt, status: RunStatus.SCORING })
      .execute('run');
    if (!moved.affectedRows) return;
    await em
      .createQueryBuilder(Score)
      .insert({ id: randomUUID(), runId: p.runId, ...p.score, contentHash: hash, createdAt: at })
      .onConflict(['runId'])
      .ignore()
      .execute();
  },
  async readBack(em, p) {
    const score = await em.findOne(Score, { runId: p.runId });
    if (score)
      return {
        result: { applied: true, score },
        content: scoreContent(p.runId, score),
        hash: score.contentHash,
      };
    const expected = scoreContent(p.runId, p.score);
    return { result: { applied: false, score: null }, content: expected, hash: contentHash(expected) };
  },
  // After a replay from the spool too.
  async markVerified(em, p, stored) {
    if (stored.result.applied) await markScoreVerified(em, p.runId);
  },
};

/**
 * The mark `unpersistedScores` looks for, once a stored score was read back and matched its hash:
 * inside the caller's transaction, idempotent.
 */
export async function markScoreVerified(em: EntityManager, runId: string): Promise<void> {
  await em.nativeUpdate(Score, { runId, verifiedAt: null }, { verifiedAt: new Date() });
  await em.nativeUpdate(ScoringRun, { id: runId }, { persistence: PersistenceState.VERIFIED });
}
