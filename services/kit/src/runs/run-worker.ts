import type { Job, PgBoss } from 'pg-boss';
import type { EntityManager, MikroORM } from '../database/orm.ts';
import { untilDatabaseAnswers } from '../database/until-available.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import { classifyDbError } from '../persistence/classify-error.ts';
import type { WriteDefinition } from '../persistence/reliable-writer.ts';
import { endsAttempt, type RunEvent } from './run-events.ts';
import { isLive, type RunKind } from './run-kind.ts';
import type { Claim, ClaimStep, FinalResult, RunFailure, RunLifecycle } from './run-lifecycle.ts';
import type { RunJob } from './run-queue.ts';

/** What an attempt's work gets: its claim, a signal, and the steps it may take. */
export interface Attempt {
  claim: Claim;
  /** Aborted when the run is cancelled, re-queued or failed elsewhere, or the process stops. */
  signal: AbortSignal;
  /**
   * A progress step (a heartbeat too). Steps are stored one after another in the order they were
   * asked for, so work done in parallel may report freely. When the run has moved on, `signal`
   * is aborted.
   */
  progress(step: string, pct: number, detail?: RunEvent['detail']): Promise<void>;
  /**
   * A progress step that may be skipped: resolves at once, and is stored (then published) a moment
   * later, after whatever the work does synchronously, unless a later step or the run's end comes
   * first. Then it is never stored and never published: no subscriber can see a state the database
   * does not hold. For steps of fast work (a rules scorer's), which would otherwise each cost a
   * transition nobody has time to watch.
   */
  note(step: string, pct: number): Promise<void>;
  /** The run's end with its result, through the service's final write (see RunLifecycle.complete). */
  complete<P extends ClaimStep>(
    write: WriteDefinition<P, FinalResult>,
    payload: Omit<P, keyof ClaimStep>,
    notStoredCode?: string,
  ): Promise<boolean>;
}

/** A service's work for one attempt of a run. */
export interface RunExecutor<R extends { attempt: number; status: string }> {
  /** The run as the work needs it, or null when it does not exist. */
  load(em: EntityManager, runId: string): Promise<R | null>;
  /**
   * Does the attempt's work and completes it. Throwing fails the attempt: an `AppError` with
   * `retryable` is retried by the job queue while retries remain (the run waits, queued at the same
   * attempt); anything else ends the run with the error's code.
   */
  execute(run: R, attempt: Attempt): Promise<void>;
}

export interface RunWorkerOptions<R extends { attempt: number; status: string }> {
  kind: RunKind;
  orm: MikroORM;
  boss: PgBoss;
  lifecycle: RunLifecycle;
  executor: RunExecutor<R>;
  log: Logger;
  concurrency: number;
  /** pg-boss retries of one attempt (the queue's retryLimit). */
  retryLimit: number;
}

/** Longest a stopping worker waits for the database to take a handed-back job's failure. */
const HAND_BACK_WAIT_MS = 3000;

/** Why an attempt stopped working: someone else now owns the run. */
class RunMovedError extends Error {}
/** Why an attempt stopped working: this process is stopping, and hands the run back. */
class ShuttingDownError extends Error {}

/** Executes a service's run jobs: one run attempt per job, every step a guarded transition. */
export class RunWorker<R extends { attempt: number; status: string }> {
  /** Attempts running in this process, so a cancel or re-queue seen on the event bus stops them. */
  private readonly active = new Map<string, { attempt: number; controller: AbortController }>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: RunWorkerOptions<R>) {}

  /**
   * One pg-boss worker per slot. pg-boss waits out the polling interval after every fetch, even one
   * that found a job, which capped a slot at two runs a second; so each slot wakes itself after a
   * job to fetch the next at once, and otherwise waits for a NOTIFY or its next poll.
   */
  async start(): Promise<void> {
    const { boss, kind } = this.options;
    for (let slot = 0; slot < this.options.concurrency; slot++) {
      let id: string | undefined;
      id = await boss.work<RunJob>(
        kind.queue.name,
        {
          batchSize: 1,
          pollingIntervalSeconds: 0.5,
          // NOTIFY wakes a slot for a new job, not for a retry whose backoff has passed: poll for those.
          notifyPollingIntervalSeconds: 1,
        },
        async ([job]) => {
          try {
            await this.execute(job!);
          } finally {
            if (id) boss.notifyWorker(id);
          }
        },
      );
    }
  }

  /**
   * Stops taking jobs and hands every running attempt back: the run goes back to queued at the same
   * attempt and its job fails, so pg-boss retries it (within a second or two) on whichever replica
   * is up. A deploy costs a run no attempt and no wait for the watchdog.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const { controller } of this.active.values())
      controller.abort(new ShuttingDownError('shutting down'));
    await this.options.boss.offWork(this.options.kind.queue.name, { wait: true });
  }

  /** Any replica's event: stop the local attempt of a run that was cancelled, failed or re-queued. */
  onRunEvent(event: RunEvent): void {
    const local = this.active.get(event.runId);
    if (local && endsAttempt(this.options.kind, event, local.attempt))
      local.controller.abort(new RunMovedError(`run ${event.status.toLowerCase()}`));
  }

  async execute(job: Job<RunJob>): Promise<void> {
    const { runId, attempt } = job.data;
    const { kind, orm, lifecycle, log, executor } = this.options;
    // While PostgreSQL is away nothing can be recorded, pg-boss's own settling of this job
    // included: a job that failed now would stay active, unclaimed, until it expires. So wait.
    const run = await untilDatabaseAnswers(() => executor.load(orm.em.fork(), runId), {
      signal: this.stopping.signal,
    });
    // A job for an attempt that is over (re-queued, cancelled, finished) has nothing to do.
    if (!run || run.attempt !== attempt || !isLive(kind, run.status)) return;
    const claim = await lifecycle.claim(runId, attempt);
    if (!claim) return; // another worker holds it (a re-delivered job), or it moved on

    const controller = new AbortController();
    job.signal?.addEventListener('abort', () => controller.abort(new RunMovedError('job expired')));
    this.active.set(runId, { attempt, controller });
    // One step at a time, in the order asked: steps are numbered, and a lower number stored after a
    // higher one would be refused as stale.
    let steps: Promise<unknown> = Promise.resolve();
    const store = (step: string, pct: number, detail?: RunEvent['detail']) => {
      const stored = steps.then(async () => {
        if (controller.signal.aborted) return;
        if (!(await lifecycle.progress(claim, step, pct, detail)))
          controller.abort(new RunMovedError('run moved'));
      });
      steps = stored.catch(() => undefined);
      return stored;
    };
    // The latest skippable step not stored yet; a later step of any kind, or the end, supersedes it.
    let noted: { step: string; pct: number } | null = null;
    let noteScheduled = false;
    const progress = (step: string, pct: number, detail?: RunEvent['detail']) => {
      noted = null;
      return store(step, pct, detail);
    };
    const note = (step: string, pct: number) => {
      noted = { step, pct };
      if (!noteScheduled) {
        noteScheduled = true;
        setImmediate(() => {
          noteScheduled = false;
          const latest = noted;
          noted = null;
          if (latest) store(latest.step, latest.pct).catch(() => undefined);
        });
      }
      return Promise.resolve();
    };
    try {
      await executor.execute(run, {
        claim,
        signal: controller.signal,
        progress,
        note,
        complete: async (write, payload, notStoredCode) => {
          noted = null; // the end supersedes a step not stored yet
          await steps;
          if (controller.signal.aborted) return false;
          return lifecycle.complete(claim, write, payload, notStoredCode);
        },
      });
      if (controller.signal.aborted) return await this.stopped(claim, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return await this.stopped(claim, controller.signal);
      await steps;
      const failure = describeFailure(error);
      if (failure.retryable && job.retryCount < this.options.retryLimit) {
        log.warn(
          { runId, attempt, code: failure.code, retry: job.retryCount + 1 },
          `${kind.service} attempt failed; retrying`,
        );
        await lifecycle.retryLater(claim, failure);
        await this.databaseAnswers(this.stopping.signal); // so pg-boss can record the retry
        throw error;
      }
      log.warn({ runId, attempt, code: failure.code }, `${kind.service} run failed`);
      await lifecycle.fail(claim, failure);
    } finally {
      this.active.delete(runId);
    }
  }

  /**
   * An attempt stopped from outside: a cancel or re-queue ends it quietly; a shutdown hands the run
   * back and fails the job, so pg-boss retries it at once at the same attempt.
   */
  private async stopped(claim: Claim, signal: AbortSignal): Promise<void> {
    if (!(signal.reason instanceof ShuttingDownError)) return;
    if (await this.options.lifecycle.handBack(claim)) {
      this.options.log.info({ runId: claim.runId, attempt: claim.attempt }, 'run handed back at shutdown');
      // Briefly, so pg-boss can record the job's failure (and so its retry) before we exit.
      await this.databaseAnswers(AbortSignal.timeout(HAND_BACK_WAIT_MS));
      throw signal.reason;
    }
  }

  /** Resolves once the database answers, or `signal` ends the wait. */
  private async databaseAnswers(signal: AbortSignal): Promise<void> {
    await untilDatabaseAnswers(() => this.options.orm.em.getConnection().execute('select 1'), {
      signal,
    }).catch(() => undefined);
  }
}

/** The run's error as a client sees it: a stable code, no internals. */
function describeFailure(error: unknown): RunFailure {
  if (error instanceof AppError)
    return { code: error.code, message: error.message, retryable: error.retryable };
  const db = classifyDbError(error);
  if (db.errorClass === 'transient')
    return { code: 'DATABASE_UNAVAILABLE', message: `database unavailable (${db.code})`, retryable: true };
  return { code: 'INTERNAL', message: 'the run failed unexpectedly; see the run trace', retryable: false };
}
