import type { RunKind } from '@assay/kit/runs';
import { RunStatus } from '../runs/run.entity.ts';

/**
 * Scoring runs for the kit's run machinery: `QUEUED -> RUNNING -> SCORING -> DONE | ERROR |
 * CANCELLED`, one pg-boss job (`score-run`, schema `scoring_jobs`) per attempt.
 */
export const SCORING_RUNS: RunKind = {
  service: 'scoring',
  table: '"scoring"."scoring_run"',
  statuses: {
    queued: RunStatus.QUEUED,
    claimed: RunStatus.RUNNING,
    working: RunStatus.SCORING,
    done: RunStatus.DONE,
    failed: RunStatus.ERROR,
    cancelled: RunStatus.CANCELLED,
  },
  outbox: '"scoring"."failure_outbox"',
  queue: { name: 'score-run', schema: 'scoring_jobs' },
};
