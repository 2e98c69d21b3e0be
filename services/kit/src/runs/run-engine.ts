import type { PgBoss } from 'pg-boss';
import type { EntityManager, MikroORM } from '../database/orm.ts';
import type { Logger } from '../logging/logger.ts';
import type { ReliableWriter, WriteDefinition } from '../persistence/reliable-writer.ts';
import type { PgPubSub } from '../pubsub/pg-pubsub.ts';
import { JobSender } from './job-sender.ts';
import { listenForStops, publishRunEvent, type RunEvent } from './run-events.ts';
import type { RunKind } from './run-kind.ts';
import { type ClaimStep, type FinalResult, RunLifecycle } from './run-lifecycle.ts';
import { createRunMetrics } from './run-metrics.ts';
import { enqueueRun, RUN_JOB_RETRY_LIMIT, startRunQueue } from './run-queue.ts';
import { type RunExecutor, RunWorker } from './run-worker.ts';
import { Watchdog } from './watchdog.ts';

export interface RunEngineOptions<R extends { attempt: number; status: string }> {
  kind: RunKind;
  orm: MikroORM;
  writer: ReliableWriter;
  pubSub: PgPubSub;
  log: Logger;
  databaseUrl: string;
  /** Jobs this replica runs at once; 0 serves the API and subscriptions only. */
  concurrency: number;
  heartbeatTimeoutMs: number;
  maxAttempts: number;
  watchdogIntervalMs: number;
  executor: RunExecutor<R>;
  /**
   * The service's run creation: a run it stores from the spool (accepted while the database was
   * away) is queued the moment it is stored.
   */
  createWrite: WriteDefinition<never, { id: string; status: string; attempt: number }>;
  /** The service's final writes (result + done in one transaction), see RunLifecycle.registerFinal. */
  finalWrites: WriteDefinition<ClaimStep & never, FinalResult>[];
  /** More repair work for the watchdog's sweep (see WatchdogOptions.alsoSweep). */
  alsoSweep?(em: EntityManager): Promise<number>;
}

export interface RunEngine {
  lifecycle: RunLifecycle;
  /** Queues an attempt; never throws: one that cannot be sent now is sent once the database is back. */
  enqueue(runId: string, attempt: number): Promise<void>;
  watchdog: Watchdog;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Everything a run service needs to execute runs, wired once: the lifecycle on the reliable write
 * path, the durable job queue and its worker, stop events across replicas, the heartbeat watchdog,
 * progress events and run metrics. The service brings its run table (`kind`), its creation and
 * final writes, and the executor that does one attempt's work.
 */
export function createRunEngine<R extends { attempt: number; status: string }>(
  options: RunEngineOptions<R>,
): RunEngine {
  const { kind, orm, writer, pubSub, log } = options;
  let boss: PgBoss | undefined;
  let worker: RunWorker<R> | undefined;
  let stops: { close(): Promise<void> } | undefined;
  const jobs = new JobSender((job) => {
    if (!boss) throw new Error('the job queue is not started');
    return enqueueRun(kind, boss, job);
  }, log);
  const enqueue = (runId: string, attempt: number) => jobs.send({ runId, attempt });
  writer.register(options.createWrite);
  writer.onReplayed(options.createWrite, (_, run) =>
    run.status === kind.statuses.queued ? jobs.send({ runId: run.id, attempt: run.attempt }) : undefined,
  );
  const metrics = createRunMetrics(kind);
  const publish = async (event: RunEvent) => {
    metrics.record(event);
    worker?.onRunEvent(event); // at once, without the round trip through PostgreSQL
    await publishRunEvent(pubSub, kind, event);
  };
  const lifecycle = new RunLifecycle(kind, writer, publish, log, {
    staleAfterMs: options.heartbeatTimeoutMs,
  });
  for (const write of options.finalWrites) lifecycle.registerFinal(write);
  const watchdog = new Watchdog({
    kind,
    orm,
    lifecycle,
    enqueue,
    log,
    intervalMs: options.watchdogIntervalMs,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs,
    maxAttempts: options.maxAttempts,
    alsoSweep: options.alsoSweep,
  });
  return {
    lifecycle,
    enqueue,
    watchdog,
    async start() {
      boss = await startRunQueue(kind, {
        url: options.databaseUrl,
        log,
        expireInSeconds: Math.ceil((options.heartbeatTimeoutMs * 2) / 1000),
      });
      if (options.concurrency > 0) {
        const local = new RunWorker({
          kind,
          orm,
          boss,
          lifecycle,
          executor: options.executor,
          log,
          concurrency: options.concurrency,
          retryLimit: RUN_JOB_RETRY_LIMIT,
        });
        worker = local;
        stops = await listenForStops(pubSub, kind, log, (event) => {
          local.onRunEvent(event);
          metrics.forget(event.runId);
        });
        await local.start();
      }
      watchdog.start();
      jobs.start();
    },
    async stop() {
      await jobs.stop();
      await watchdog.stop();
      await worker?.stop();
      await stops?.close();
      await boss?.stop({ graceful: true, timeout: 10_000 });
    },
  };
}
