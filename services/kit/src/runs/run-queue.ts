import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { type ConstructorOptions, PgBoss } from 'pg-boss';
import { PreparingClient } from '../database/preparing-client.ts';
import type { Logger } from '../logging/logger.ts';
import { nameUuid } from '../persistence/content-hash.ts';
import type { RunKind } from './run-kind.ts';

/** pg-boss retries of one attempt that failed with a retryable error. */
export const RUN_JOB_RETRY_LIMIT = 3;

/** A run attempt's job. */
export interface RunJob {
  runId: string;
  attempt: number;
}

export interface RunQueueOptions {
  url: string;
  log: Logger;
  /** A job active longer than this is failed and retried by pg-boss. */
  expireInSeconds: number;
}

/**
 * The durable job queue of a service's runs (pg-boss, in its own schema beside the service's): a
 * run's attempt is one job, picked up by whichever replica polls first.
 */
export async function startRunQueue(kind: RunKind, options: RunQueueOptions): Promise<PgBoss> {
  const { name, schema } = kind.queue;
  // pg-boss hands its options on to pg.Pool, `Client` included (not in its types).
  const config: ConstructorOptions & { Client: typeof PreparingClient } = {
    connectionString: options.url,
    schema,
    application_name: `assay-${kind.service}-jobs`,
    max: 4,
    // Its statements are prepared once per connection, not planned on every call.
    Client: PreparingClient,
    // The run watchdog is ours (sub-minute, guarded by run state); pg-boss cron is per minute.
    schedule: false,
    // Workers are woken by NOTIFY when a job is sent instead of at their next poll.
    useListenNotify: true,
    // One trace per run: the job carries the trace context of the request that queued it (trace
    // ids only, never baggage, which could hold a caller's data), and its processing continues it.
    openTelemetry: { propagateContext: true, propagator: new W3CTraceContextPropagator() },
  };
  const boss = new PgBoss(config);
  boss.on('error', (error) => options.log.warn({ err: queueErrorSummary(error) }, 'job queue error'));
  await boss.start();
  if (!(await boss.getQueue(name))) {
    await boss
      .createQueue(name, {
        retryLimit: RUN_JOB_RETRY_LIMIT,
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

/**
 * What of a pg-boss error is logged: its message and codes only. The error object itself can carry
 * the database client (its connection parameters, password included), which must never reach a log.
 */
export function queueErrorSummary(error: unknown): { message: string; code?: string; name?: string } {
  const e = error as { message?: unknown; code?: unknown; name?: unknown } | undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  return {
    // A driver message can quote the connection string (postgres://user:password@…).
    message: message.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"']+/gi, '[url]'),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.name === 'string' ? { name: e.name } : {}),
  };
}

/** What names a run attempt's job: its `singletonKey`, and the seed of its id. */
export const runJobKey = (job: RunJob) => `${job.runId}:${job.attempt}`;

/**
 * One job per run attempt: sending the same attempt again (a client repeating its start with an
 * idempotency key while the run is queued) queues nothing and answers null. The job id is derived
 * from the attempt, and pg-boss inserts with ON CONFLICT DO NOTHING; a singleton key alone would
 * not do it, since the queue's standard policy does not make keys unique. A later attempt (the
 * watchdog's re-queue) has another id, so nothing ever blocks it.
 */
export function enqueueRun(kind: RunKind, boss: PgBoss, job: RunJob): Promise<string | null> {
  const key = runJobKey(job);
  return boss.send(kind.queue.name, job, { id: jobId(kind, key), singletonKey: key });
}

export interface RunJobState {
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  /** For an active job: how long ago a worker fetched it, by the database's clock. */
  fetchedMsAgo: number | null;
}

/** The attempt's job as pg-boss has it, or null when it has none (never sent, or long deleted). */
export async function runJobState(
  kind: RunKind,
  db: { execute(sql: string, params: unknown[]): Promise<unknown> },
  job: RunJob,
): Promise<RunJobState | null> {
  const rows = (await db.execute(
    `select state::text as state, extract(epoch from now() - started_on) * 1000 as "fetchedMsAgo"
       from ${kind.queue.schema}.job where name = ? and id = ?`,
    [kind.queue.name, jobId(kind, runJobKey(job))],
  )) as { state: RunJobState['state']; fetchedMsAgo: string | number | null }[];
  const row = rows[0];
  if (!row) return null;
  return { state: row.state, fetchedMsAgo: row.fetchedMsAgo === null ? null : Number(row.fetchedMsAgo) };
}

/** The attempt's job id, derived from its key. */
function jobId(kind: RunKind, key: string): string {
  return nameUuid(`${kind.queue.name}:${key}`);
}

/**
 * SQL condition, for a query on the run table aliased `run`: the run's current attempt has a job
 * waiting to be fetched (created, or waiting for a retry). Such a run is in the backlog, not
 * stalled, however old its heartbeat. `<schema>.job` is the table pg-boss reads every queue from
 * (partitioned by queue name), and `state < 'active'` is the predicate of its index on queued jobs
 * by key, so this is one index probe per run.
 */
export function waitingJobSql(kind: RunKind, run: string): string {
  // Only constants and the caller's table alias are inlined, never input.
  return `exists (select 1 from ${kind.queue.schema}.job j
    where j.name = '${kind.queue.name}' and j.singleton_key = ${run}.id || ':' || ${run}.attempt
      and j.state < 'active')`;
}
