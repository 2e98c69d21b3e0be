import type { Logger } from '@assay/kit';
import { PgBoss } from 'pg-boss';

export const SCORE_QUEUE = 'score-run';
/** pg-boss retries of one attempt that failed with a retryable error. */
export const SCORE_JOB_RETRY_LIMIT = 3;

export interface ScoreJob {
  runId: string;
  attempt: number;
}

export interface ScoreQueueOptions {
  url: string;
  log: Logger;
  /** A job active longer than this is failed and retried by pg-boss. */
  expireInSeconds: number;
}

/**
 * The durable job queue (pg-boss, in its own `scoring_jobs` schema): a run's attempt is one job,
 * picked up by whichever replica polls first.
 */
export async function startScoreQueue(options: ScoreQueueOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: options.url,
    schema: 'scoring_jobs',
    application_name: 'assay-scoring-jobs',
    max: 4,
    // The run watchdog is ours (sub-minute, guarded by run state); pg-boss cron is per minute.
    schedule: false,
    // Workers are woken by NOTIFY when a job is sent instead of at their next poll.
    useListenNotify: true,
  });
  boss.on('error', (error) => options.log.warn({ err: error }, 'job queue error'));
  await boss.start();
  if (!(await boss.getQueue(SCORE_QUEUE))) {
    await boss
      .createQueue(SCORE_QUEUE, {
        retryLimit: SCORE_JOB_RETRY_LIMIT,
        retryDelay: 1,
        retryBackoff: true,
        retryDelayMax: 30,
        expireInSeconds: options.expireInSeconds,
        notify: true,
      })
      .catch((error: { code?: string }) => {
        if (error.code !== '23505') throw error; // another replica created it at the same moment
      });
  }
  return boss;
}

/** One job per run attempt: sending the same attempt twice queues it once. */
export function enqueueScore(boss: PgBoss, job: ScoreJob): Promise<string | null> {
  return boss.send(SCORE_QUEUE, job, { singletonKey: `${job.runId}:${job.attempt}` });
}
