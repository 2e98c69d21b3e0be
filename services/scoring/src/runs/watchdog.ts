import type { Logger, MikroORM } from '@assay/kit';
import { LIVE_STATUSES, ScoringRun } from './run.entity.ts';
import type { RunLifecycle } from './run-lifecycle.ts';

export interface WatchdogOptions {
  orm: MikroORM;
  lifecycle: RunLifecycle;
  /** Queues the new attempt of a re-queued run. */
  enqueue(runId: string, attempt: number): Promise<unknown>;
  log: Logger;
  intervalMs: number;
  heartbeatTimeoutMs: number;
  maxAttempts: number;
}

/**
 * Guarantees every run a terminal state: a live run whose heartbeat is older than the timeout is
 * re-queued while attempts remain, else failed. One replica sweeps at a time (a transaction-scoped
 * advisory lock); the guarded transitions make an overlapping sweep harmless anyway. Not a pg-boss
 * schedule: those are cron, a minute at the finest, and a stalled run should not wait that long.
 */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;

  constructor(private readonly options: WatchdogOptions) {}

  start(): void {
    const tick = () => {
      this.sweeping = this.sweep()
        .catch((error) => this.options.log.warn({ err: error }, 'watchdog sweep failed'))
        .finally(() => {
          this.sweeping = undefined;
          this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.sweeping;
    clearTimeout(this.timer);
  }

  /** One pass; returns how many runs it re-queued or failed. */
  async sweep(): Promise<number> {
    const { orm, lifecycle, log, heartbeatTimeoutMs, maxAttempts } = this.options;
    const stalled = await orm.em.fork().transactional(async (em) => {
      const [lock] = await em.execute<{ locked: boolean }[]>(
        'select pg_try_advisory_xact_lock(hashtext(?)) as locked',
        ['assay:scoring:watchdog'],
      );
      if (!lock?.locked) return [];
      return em.find(
        ScoringRun,
        { status: { $in: LIVE_STATUSES }, heartbeatAt: { $lt: new Date(Date.now() - heartbeatTimeoutMs) } },
        { orderBy: { heartbeatAt: 'asc' }, limit: 200 },
      );
    });
    let handled = 0;
    for (const run of stalled) {
      const silentFor = `${Math.round(heartbeatTimeoutMs / 1000)} s`;
      if (run.attempt + 1 < maxAttempts) {
        if (await lifecycle.requeue(run, `re-queued: no progress for ${silentFor}`)) {
          await this.options.enqueue(run.id, run.attempt + 1);
          log.warn({ runId: run.id, attempt: run.attempt + 1 }, 'stalled run re-queued');
          handled++;
        }
      } else if (
        await lifecycle.fail(run.id, run.attempt, {
          code: 'HEARTBEAT_TIMEOUT',
          message: `no progress for ${silentFor} in any of ${maxAttempts} attempts`,
          retryable: true,
        })
      ) {
        log.warn({ runId: run.id }, 'stalled run failed');
        handled++;
      }
    }
    return handled;
  }
}
