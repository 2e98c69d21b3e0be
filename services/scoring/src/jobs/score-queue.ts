import { type Logger, nameUuid } from '@assay/kit';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PgBoss } from 'pg-boss';

export const SCORE_QUEUE = 'score-run';
/** The PostgreSQL schema pg-boss keeps its tables in, beside the service's own. */
export const SCORE_JOB_SCHEMA = 'scoring_jobs';
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
    schema: SCORE_JOB_SCHEMA,
    application_name: 'assay-scoring-jobs',
    max: 4,
    // The run watchdog is ours (sub-minute, guarded by run state); pg-boss cron is per minute.
    schedule: false,
    // Workers are woken by NOTIFY when a job is sent instead of at their next poll.
    useListenNotify: true,
    // One trace per run: the job carries the trace context of the request that queued it (trace
    // ids only, never baggage, which could hold a caller's data), and its processing continues it.
    openTelemetry: { propagateContext: true, propagator: new W3CTraceContextPropagator() },
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

/** What names a run attempt's job: its `singletonKey`, and the seed of its id. */
export function scoreJobKey(job: ScoreJob): string {
  return `${job.runId}:${job.attempt}`;
}

/**
 * One job per run attempt: sending the same attempt again (a client repeating `startScoringRun`
 * with its idempotency key while the run is QUEUED) queues nothing and answers null. The job id
 * is derived from the attempt, and pg-boss inserts with ON CONFLICT DO NOTHING; a singleton key
 * alone would not do it, since the queue's standard policy does not make keys unique. A later
 * attempt (the watchdog's re-queue) has another id, so nothing ever blocks it.
 */
export function enqueueScore(boss: PgBoss, job: ScoreJob): Promise<string | null> {
  const key = scoreJobKey(job);
  return boss.send(SCORE_QUEUE, job, { id: jobId(key), singletonKey: key });
}

export interface ScoreJobState {
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  /** For an active job: how long ago a worker fetched it, by the database's clock. */
  fetchedMsAgo: number | null;
}

/** The attempt's job as pg-boss has it, or null when it has none (never sent, or long deleted). */
export async function scoreJobState(
  db: { execute(sql: string, params: unknown[]): Promise<unknown> },
  job: ScoreJob,
): Promise<ScoreJobState | null> {
  const rows = (await db.execute(
    `select state::text as state, extract(epoch from now() - started_on) * 1000 as "fetchedMsAgo"
       from ${SCORE_JOB_SCHEMA}.job where name = ? and id = ?`,
    [SCORE_QUEUE, jobId(scoreJobKey(job))],
  )) as { state: ScoreJobState['state']; fetchedMsAgo: string | number | null }[];
  const row = rows[0];
  if (!row) return null;
  return { state: row.state, fetchedMsAgo: row.fetchedMsAgo === null ? null : Number(row.fetchedMsAgo) };
}

/** The attempt's job id, derived from its key. */
function jobId(key: string): string {
  return nameUuid(`${SCORE_QUEUE}:${key}`);
}

/**
 * SQL condition, for a query on `scoring.scoring_run` aliased `run`: the run's current attempt has
 * a job waiting to be fetched (created, or waiting for a retry). Such a run is in the backlog, not
 * stalled, however old its heartbeat. `scoring_jobs.job` is the table pg-boss reads every queue
 * from (partitioned by queue name), and `state < 'active'` is the predicate of its index on
 * queued jobs by key, so this is one index probe per run.
 */
export function waitingJobSql(run: string): string {
  // Only constants and the caller's table alias are inlined, never input.
  return `exists (select 1 from ${SCORE_JOB_SCHEMA}.job j
    where j.name = '${SCORE_QUEUE}' and j.singleton_key = ${run}.id || ':' || ${run}.attempt
      and j.state < 'active')`;
}
