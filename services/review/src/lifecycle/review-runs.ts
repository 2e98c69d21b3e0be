import type { RunKind } from '@assay/kit/runs';
import { ReviewStatus } from '../runs/review-run.entity.ts';

/**
 * Review runs for the kit's run machinery: `QUEUED -> RUNNING -> COMPLETED | FAILED | CANCELLED`
 * (no separate working phase: progress steps keep it RUNNING), one pg-boss job (`review-run`,
 * schema `review_jobs`) per attempt.
 */
export const REVIEW_RUNS: RunKind = {
  service: 'review',
  table: '"review"."review_run"',
  statuses: {
    queued: ReviewStatus.QUEUED,
    claimed: ReviewStatus.RUNNING,
    working: ReviewStatus.RUNNING,
    done: ReviewStatus.COMPLETED,
    failed: ReviewStatus.FAILED,
    cancelled: ReviewStatus.CANCELLED,
  },
  outbox: '"review"."failure_outbox"',
  queue: { name: 'review-run', schema: 'review_jobs' },
};
