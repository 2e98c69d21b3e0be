import type { EntityManager, MikroORM } from '../database/orm.ts';
import type { Logger } from '../logging/logger.ts';
import { meter } from '../telemetry/telemetry.ts';
import { liveStatuses, type RunKind } from './run-kind.ts';
import type { RunLifecycle } from './run-lifecycle.ts';
import { runJobState, waitingJobSql } from './run-queue.ts';
import { inRunTrace } from './run-trace.ts';

export interface WatchdogOptions {
  kind: RunKind;
  orm: MikroORM;
  lifecycle: RunLifecycle;
  /** Queues an attempt of a run (one job per attempt: sending one twice queues it once). */
  enqueue(runId: string, attempt: number): Promise<unknown>;
  log: Logger;
  intervalMs: number;
  heartbeatTimeoutMs: number;
  maxAttempts: number;
  /**
   * More of the service's own repair work in the same sweep, under the same lock (scoring verifies
   * scores a killed process left unverified); returns how many things it handled.
   */
  alsoSweep?(em: EntityManager): Promise<number>;
}

/** Runs handled per sweep; the rest wait for the next one. */
const BATCH = 200;

interface StalledRun {
  id: string;
  attempt: number;
  status: string;
  traceId: string | null;
}

/**
 * Guarantees every run a terminal state: a live run whose heartbeat is older than the timeout is
 * re-queued while attempts remain, else failed (`HEARTBEAT_TIMEOUT`). A queued run whose job is
 * waiting in the queue is not stalled, however long the backlog: it is left alone and costs no
 * attempt. One replica sweeps at a time (a transaction-scoped advisory lock held for the whole
 * sweep); the guarded transitions would make an overlapping sweep harmless anyway. Not a pg-boss
 * schedule: those are cron, a minute at the finest, and a stalled run should not wait that long.
 */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  private stopped = false;

  private readonly actions;
  private oldestQueuedSeconds = 0;

  constructor(private readonly options: WatchdogOptions) {
    const m = meter();
    const service = options.kind.service;
    this.actions = m.createCounter(`assay_${service}_watchdog_actions`, {
      description: 'What the watchdog did to stalled runs: job_sent, requeued, failed (HEARTBEAT_TIMEOUT)',
    });
    for (const action of ['job_sent', 'requeued', 'failed']) this.actions.add(0, { action });
    m.createObservableGauge(`assay_${service}_queue_oldest_seconds`, {
      description: 'How long the longest-waiting QUEUED run has waited, as of the last watchdog sweep',
      unit: 's',
    }).addCallback((r) => r.observe(this.oldestQueuedSeconds));
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.sweeping = this.sweep()
        .catch((error) => this.options.log.warn({ err: error }, 'watchdog sweep failed'))
        .finally(() => {
          this.sweeping = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  /** One pass; returns how many runs it re-queued, queued again or failed, plus `alsoSweep`'s count. */
  async sweep(): Promise<number> {
    const { kind, orm, heartbeatTimeoutMs } = this.options;
    // The advisory lock is transaction-scoped and the whole sweep runs inside that transaction, so
    // one replica sweeps at a time, from its query to its last action.
    return orm.em.fork().transactional(async (em) => {
      const [lock] = await em.execute<{ locked: boolean }[]>(
        'select pg_try_advisory_xact_lock(hashtext(?)) as locked',
        [`assay:${kind.service}:watchdog`],
      );
      if (!lock?.locked) return 0;
      // Constants, not input, inlined so the planner can use the partial index on live runs'
      // heartbeats (its predicate is the same status list); the values are parameters.
      const live = liveStatuses(kind)
        .map((status) => `'${status}'`)
        .join(', ');
      const stalled = await em.execute<StalledRun[]>(
        `select r.id, r.attempt, r.status, r.trace_id as "traceId" from ${kind.table} r
          where r.status in (${live}) and r.heartbeat_at < ?
            and not (r.status = '${kind.statuses.queued}' and ${waitingJobSql(kind, 'r')})
          order by r.heartbeat_at limit ?`,
        [new Date(Date.now() - heartbeatTimeoutMs), BATCH],
      );
      const [oldest] = await em.execute<{ seconds: number | null }[]>(
        `select extract(epoch from now() - min(r.updated_at)) as seconds from ${kind.table} r
          where r.status = '${kind.statuses.queued}'`,
      );
      this.oldestQueuedSeconds = Math.max(0, Number(oldest?.seconds ?? 0));
      let handled = 0;
      for (const run of stalled) {
        if (await inRunTrace(`${kind.service}.watchdog.recover`, run, () => this.recover(run))) handled++;
      }
      return handled + ((await this.options.alsoSweep?.(em)) ?? 0);
    });
  }

  private async recover(run: StalledRun): Promise<boolean> {
    const { kind, orm, lifecycle, log, heartbeatTimeoutMs, maxAttempts, enqueue } = this.options;
    const silentFor = `${Math.round(heartbeatTimeoutMs / 1000)} s`;
    if (run.status === kind.statuses.queued) {
      const job = await runJobState(kind, orm.em.fork(), { runId: run.id, attempt: run.attempt });
      // Never sent (the enqueue after its creation, its replay from the spool or its re-queue did
      // not happen): nothing ran, so the same attempt is sent, at no cost to the run.
      if (!job) {
        await enqueue(run.id, run.attempt);
        log.warn({ runId: run.id, attempt: run.attempt }, 'queued run had no job; job sent');
        this.actions.add(1, { action: 'job_sent' });
        return true;
      }
      // Sent since the query: waiting its turn.
      if (job.state === 'created' || job.state === 'retry') return false;
      // Fetched by a worker that has not claimed it yet: the fetch is its sign of life.
      if (job.state === 'active' && (job.fetchedMsAgo ?? 0) < heartbeatTimeoutMs) return false;
    }
    // A worker took it and went silent (its process died), or its job ended and left it live: a
    // new attempt.
    if (run.attempt + 1 < maxAttempts) {
      if (!(await lifecycle.requeue(run, `re-queued: no progress for ${silentFor}`))) return false;
      await enqueue(run.id, run.attempt + 1);
      log.warn({ runId: run.id, attempt: run.attempt + 1, was: run.status }, 'stalled run re-queued');
      this.actions.add(1, { action: 'requeued' });
      return true;
    }
    const failed = await lifecycle.fail(
      { runId: run.id, attempt: run.attempt },
      {
        code: 'HEARTBEAT_TIMEOUT',
        message: `no progress for ${silentFor} in any of ${maxAttempts} attempts`,
        retryable: true,
      },
    );
    if (failed) {
      log.warn({ runId: run.id, was: run.status }, 'stalled run failed');
      this.actions.add(1, { action: 'failed' });
    }
    return failed;
  }
}
