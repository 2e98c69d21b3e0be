import type { Logger, MikroORM, PgPubSub } from '@assay/kit';
import { classifyDbError } from '@assay/kit/operations';
import type { FailureService, RecordedFailure } from '../failures/failure.service.ts';
import { publishRecorded } from '../failures/failure-feed.ts';
import type { FailureMetrics } from '../failures/failure-metrics.ts';
import type { RecoveryService, RunsOf } from '../recovery/recovery.service.ts';

/** A service whose failures the catalog takes (constants, never input). */
export interface Producer extends RunsOf {
  /** Its PostgreSQL schema, which holds its `failure_outbox`. */
  schema: string;
}

export interface OutboxIntakeOptions {
  orm: MikroORM;
  failures: FailureService;
  recovery: RecoveryService;
  metrics: FailureMetrics;
  pubSub: PgPubSub;
  log: Logger;
  producers: readonly Producer[];
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

  /** What each producer's outbox held at the end of the last pass (for `/readyz` and `assay doctor`). */
  readonly depths = new Map<string, number>();

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pulling;
  }

  /**
   * Takes everything waiting in every outbox now, then recovers the failures of runs that have
   * since succeeded; answers how many failures were new.
   */
  async drain(): Promise<number> {
    let stored = 0;
    for (const producer of this.options.producers) {
      for (;;) {
        const taken = await this.pull(producer.schema);
        if (taken === null) break;
        stored += taken.stored.length;
        // Counted and announced once committed: a batch rolled back is taken again, not twice.
        for (const f of taken.stored) this.options.metrics.recorded(f);
        publishRecorded(this.options.pubSub, this.options.log, taken.stored);
        if (taken.rows < (this.options.batch ?? 500)) break;
      }
      await this.measureDepth(producer.schema);
    }
    await this.options.recovery.recoverSucceededRuns(this.options.producers);
    return stored;
  }

  private async measureDepth(schema: string): Promise<void> {
    try {
      const [row] = await this.options.orm.em
        .fork()
        .execute<{ n: string }[]>(`select count(*) as n from "${schema}"."failure_outbox"`);
      this.options.metrics.outboxDepth(schema, Number(row!.n));
      this.depths.set(schema, Number(row!.n));
    } catch (error) {
      if (classifyDbError(error).code !== '42P01') throw error;
    }
  }

  /** One batch of one producer's outbox, or null when it has no outbox (yet). */
  private async pull(producer: string): Promise<{ rows: number; stored: RecordedFailure[] } | null> {
    const batch = this.options.batch ?? 500;
    try {
      return await this.options.orm.em.fork().transactional(async (em) => {
        const rows = await em.execute<OutboxRow[]>(
          `delete from "${producer}"."failure_outbox" where id in (
             select id from "${producer}"."failure_outbox" order by created_at limit ? for update skip locked)
           returning *`,
          [batch],
        );
        const stored: RecordedFailure[] = [];
        for (const row of rows) {
          const recorded = await this.options.failures.record(
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
          if (recorded) stored.push(recorded);
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
