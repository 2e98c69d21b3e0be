import { randomUUID } from 'node:crypto';
import {
  contentHash,
  type EntityManager,
  execute,
  readBackOf,
  type Stored,
  type WriteDefinition,
} from '@assay/kit';
import { type ClaimStep, type FinalResult, guardedUpdate } from '@assay/kit/runs';
import { raw } from '@mikro-orm/core';
import { SCORING_RUNS } from '../lifecycle/scoring-runs.ts';
import { PersistenceState, RunStatus } from '../runs/run.entity.ts';
import type { ScoreResult } from '../scorers/scorer.ts';
import { Score, scoreContent } from './score.entity.ts';

const SCORES = '"scoring"."score"';

/** The run's last step under its worker's claim, with its score. */
export interface CompleteRun extends ClaimStep {
  score: ScoreResult;
}

export interface CompleteResult extends FinalResult {
  /** Null when the run had left SCORING under this claim (cancelled, re-queued): no score stored. */
  score: Score | null;
}

const asTransition = (p: CompleteRun) => ({
  runId: p.runId,
  attempt: p.attempt,
  from: [RunStatus.SCORING],
  to: RunStatus.DONE,
  step: 'done',
  pct: 100,
  at: p.at,
  lease: p.lease,
  seq: p.seq,
});

/**
 * The end of a successful run, in one transaction: the run becomes DONE (guarded by status and
 * attempt) and its score is stored with its hash. One score per run, whatever the retries. Once read
 * back and matched, the score is marked verified.
 */
export const completeRunWrite: WriteDefinition<CompleteRun, CompleteResult> = {
  name: 'scoring.run.complete',
  key: (p) => p.runId,
  tenant: (p) => ({ runId: p.runId, runTable: SCORING_RUNS.table }),
  orderKey: (p) => p.runId,
  content: (p) => scoreContent(p.runId, p.score),
  async write(em, p, hash) {
    const at = new Date(p.at);
    const update = guardedUpdate(
      SCORING_RUNS,
      asTransition(p),
      `status = 'DONE', progress_step = 'done', progress_pct = 100, finished_at = ?`,
      [at],
    );
    const moved = await execute<{ id: string }>(em, update.sql, update.params);
    if (moved.length === 0) return;
    await em
      .createQueryBuilder(Score)
      .insert({
        id: randomUUID(),
        runId: p.runId,
        // The score is the run's: it carries the run's tenant, whoever stores it (worker, replayer).
        tenantId: raw(`(select tenant_id from ${SCORING_RUNS.table} where id = ?)`, [p.runId]),
        ...p.score,
        contentHash: hash,
        createdAt: at,
      })
      .onConflict(['runId'])
      .ignore()
      .execute();
  },
  readBack: readBackOf(readScores),
  readBackMany: readScores,
  // After a replay from the spool too.
  async markVerified(em, p, stored) {
    if (stored.result.applied) await markScoresVerified(em, [p.runId]);
  },
  async markVerifiedMany(em, verified) {
    await markScoresVerified(
      em,
      verified.filter((v) => v.stored.result.applied).map((v) => v.payload.runId),
    );
  },
};

/** The scores stored for the runs, each with its run's version, in the payloads' order: one query. */
async function readScores(em: EntityManager, payloads: CompleteRun[]): Promise<Stored<CompleteResult>[]> {
  const runIds = [...new Set(payloads.map((p) => p.runId))];
  if (runIds.length === 0) return []; // `in ()` is not SQL
  const rows = await execute<{ run_version: number } & Record<string, unknown>>(
    em,
    `select s.*, r.version as run_version from ${SCORES} s join ${SCORING_RUNS.table} r on r.id = s.run_id
      where s.run_id in (${runIds.map(() => '?').join(', ')})`,
    runIds,
  );
  const scores = new Map<string, { score: Score; version: number }>();
  for (const { run_version, ...row } of rows) {
    const score = em.map(Score, row);
    scores.set(score.runId, { score, version: Number(run_version) });
  }
  return payloads.map((p) => {
    const found = scores.get(p.runId);
    if (found) {
      const { score, version } = found;
      return {
        result: { applied: true, score, version },
        content: scoreContent(p.runId, score),
        hash: score.contentHash,
      };
    }
    const expected = scoreContent(p.runId, p.score);
    return {
      result: { applied: false, score: null, version: null },
      content: expected,
      hash: contentHash(expected),
    };
  });
}

/**
 * The mark `unpersistedScores` looks for, once a stored score was read back and matched its hash:
 * the score's `verified_at` and its run's persistence, in one statement (so atomic without a
 * transaction of its own), idempotent.
 */
export async function markScoresVerified(em: EntityManager, runIds: string[]): Promise<void> {
  if (runIds.length === 0) return;
  const ids = runIds.map(() => '?').join(', ');
  await execute(
    em,
    `with scores as (
       update ${SCORES} set verified_at = ? where run_id in (${ids}) and verified_at is null
     )
     update ${SCORING_RUNS.table} set persistence = ? where id in (${ids})`,
    [new Date(), ...runIds, PersistenceState.VERIFIED, ...runIds],
  );
}
