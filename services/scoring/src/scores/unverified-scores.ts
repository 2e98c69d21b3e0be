import { contentHash, type EntityManager, type Logger, type MikroORM } from '@assay/kit';
import { meter } from '@assay/kit/telemetry';
import { Score, scoreContent } from './score.entity.ts';
import { markScoresVerified } from './score.writes.ts';

/** Scores handled per sweep; the rest wait for the next one. */
const BATCH = 200;
/**
 * A score is marked verified one read-back after its commit, by the process that stored it; one
 * still unmarked this long after is not going to be, and the watchdog steps in, well within the
 * minute after which `unpersistedScores` reports it.
 */
const VERIFY_GRACE_MS = 10_000;

/**
 * The watchdog's part for scores (run in its sweep, under its lock): it finishes what a process
 * killed between a run's DONE commit and the read-back of its score left undone. Each score is
 * checked against the hash stored with it and marked verified as `completeRunWrite` marks it; one
 * that does not match stays unverified, for `unpersistedScores` to report.
 */
export function unverifiedScoresSweep(orm: MikroORM, log: Logger) {
  /** Scores found not to match their hash: reported once, then left to `unpersistedScores`. */
  const mismatched = new Set<string>();
  // Scores that did not match their hash stay unverified: the alert's signal (unpersistedScores lists them).
  meter()
    .createObservableGauge('assay_scoring_unverified_scores', {
      description: 'Stored scores that failed verification against their hash (found by the watchdog)',
    })
    .addCallback((r) => r.observe(mismatched.size));
  return async (em: EntityManager): Promise<number> => {
    const unverified = await em.find(
      Score,
      {
        verifiedAt: null,
        ...(mismatched.size > 0 ? { id: { $nin: [...mismatched] } } : {}),
        createdAt: { $lt: new Date(Date.now() - VERIFY_GRACE_MS) },
      },
      { orderBy: { createdAt: 'asc' }, limit: BATCH },
    );
    let verified = 0;
    for (const score of unverified) {
      if (contentHash(scoreContent(score.runId, score)) !== score.contentHash) {
        mismatched.add(score.id);
        log.error({ runId: score.runId }, 'stored score does not match its hash; left unverified');
        continue;
      }
      await orm.em.fork().transactional((tx) => markScoresVerified(tx, [score.runId]));
      log.warn({ runId: score.runId }, 'score verified by the watchdog');
      verified++;
    }
    return verified;
  };
}
