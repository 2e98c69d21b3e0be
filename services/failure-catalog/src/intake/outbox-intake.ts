import type { Logger, MikroORM } from '@assay/kit';
import { classifyDbError } from '@assay/kit/operations';
import type { FailureService } from '../failures/failure.service.ts';

export interface OutboxIntakeOptions {
  orm: MikroORM;
  failures: FailureService;
  log: Logger;
  /** The producers' schemas whose `failure_outbox` is read (constants, never input). */
  producers: string[];
  intervalMs: number;
  /** Failures taken per producer per transaction. */
  batch?: number;
}

interface OutboxRow {
  id: string;
  tenant_id: string;
  service: string;
  run_id: string | null;
  error_code: string;
  error_message: string | null;
  retryable: boolean;
  stage: string;
  trace_id: string | null;
  context: Record<string, unknown> | null;
  occurred_at: Date;
}

/**
 * The relay of the transactional outbox: the catalog pulls each producer's `failure_outbox` (the
 * services share one PostgreSQL database, each in its schema) and, in one transaction, deletes a
 * batch and stores it matched — so a failure is taken exactly once, and a relay killed mid-batch
 * takes the batch again (storing is idempotent on the failure's id anyway). `for update skip
 * locked` lets several catalog replicas pull side by side. Producers never wait for any of this:
 * with the catalog stopped, their outboxes only grow, and drain when it is back.
 */
export class OutboxIntake {
  private timer: NodeJS.Timeout | undefined;
  private pulling: Promise<unknown> | undefined;
  private stopped = false;

  constructor(private readonly options: OutboxIntakeOptions) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.pulling = this.drain()
        .catch((error) => this.options.log.warn({ err: error }, 'failure intake pass failed'))
        .finally(() => {
          this.pulling = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pulling;
  }

  /** Takes everything waiting in every outbox now; answers how many failures were new. */
  async drain(): Promise<number> {
    let stored = 0;
    for (const producer of this.options.producers) {
      for (;;) {
        const taken = await this.pull(producer);
        if (taken === null) break;
        stored += taken.stored;
        if (taken.rows < (this.options.batch ?? 500)) break;
      }
    }
    return stored;
  }

  /** One batch of one producer's outbox, or null when it has no outbox (yet). */
  private async pull(producer: string): Promise<{ rows: number; stored: number } | null> {
    const batch = this.options.batch ?? 500;
    try {
      return await this.options.orm.em.fork().transactional(async (em) => {
        const rows = await em.execute<OutboxRow[]>(
          `delete from "${producer}"."failure_outbox" where id in (
             select id from "${producer}"."failure_outbox" order by created_at limit ? for update skip locked)
           returning *`,
          [batch],
        );
        let stored = 0;
        for (const row of rows) {
          const isNew = await this.options.failures.record(
            {
              id: row.id,
              tenantId: row.tenant_id,
              service: row.service,
              runId: row.run_id,
              errorCode: row.error_code,
              errorMessage: row.error_message,
              retryable: row.retryable,
              stage: row.stage,
              traceId: row.trace_id,
              context: row.context,
              occurredAt: new Date(row.occurred_at),
            },
            em,
          );
          if (isNew) stored++;
        }
        return { rows: rows.length, stored };
      });
    } catch (error) {
      // The producer has not created its outbox yet (not migrated, or not deployed): nothing to take.
      if (classifyDbError(error).code === '42P01') return null;
      throw error;
    }
  }
}
