import { AppError, classifyDbError, type Logger, type MikroORM, untilDatabaseAnswers } from '@assay/kit';
import type { Job, PgBoss } from 'pg-boss';
import { LIVE_STATUSES, type ScorerKind, ScoringRun } from '../runs/run.entity.ts';
import { endsAttempt } from '../runs/run-events.ts';
import type { Claim, RunEvent, RunFailure, RunLifecycle } from '../runs/run-lifecycle.ts';
import type { Scorer } from '../scorers/scorer.ts';
import { SCORE_QUEUE, type ScoreJob } from './score-queue.ts';

export interface ScoreWorkerOptions {
  orm: MikroORM;
  boss: PgBoss;
  lifecycle: RunLifecycle;
  scorers: Partial<Record<ScorerKind, Scorer>>;
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

/** Executes scoring jobs: one run attempt per job, every step a guarded transition. */
export class ScoreWorker {
  /** Attempts running in this process, so a cancel or re-queue seen on the event bus stops them. */
  private readonly active = new Map<string, { attempt: number; controller: AbortController }>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: ScoreWorkerOptions) {}

  /**
   * One pg-boss worker per slot. pg-boss waits out the polling interval after every fetch, even one
   * that found a job, which capped a slot at two runs a second; so each slot wakes itself after a
   * job to fetch the next at once, and otherwise waits for a NOTIFY or its next poll.
   */
  async start(): Promise<void> {
    const { boss } = this.options;
    for (let slot = 0; slot < this.options.concurrency; slot++) {
      let id: string | undefined;
      id = await boss.work<ScoreJob>(
        SCORE_QUEUE,
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
   * Stops taking jobs and hands every running attempt back: the run goes back to QUEUED at the same
   * attempt and its job fails, so pg-boss retries it (within a second or two) on whichever replica
   * is up. A deploy costs a run no attempt and no wait for the watchdog.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const { controller } of this.active.values())
      controller.abort(new ShuttingDownError('shutting down'));
    await this.options.boss.offWork(SCORE_QUEUE, { wait: true });
  }

  /** Any replica's event: stop the local attempt of a run that was cancelled, failed or re-queued. */
  onRunEvent(event: RunEvent): void {
    const local = this.active.get(event.runId);
    if (local && endsAttempt(event, local.attempt))
      local.controller.abort(new RunMovedError(`run ${event.status.toLowerCase()}`));
  }

  async execute(job: Job<ScoreJob>): Promise<void> {
    const { runId, attempt } = job.data;
    const { orm, lifecycle, log } = this.options;
    // While PostgreSQL is away nothing can be recorded, pg-boss's own settling of this job
    // included: a job that failed now would stay active, unclaimed, until it expires. So wait.
    const run = await untilDatabaseAnswers(
      () => orm.em.fork().findOne(ScoringRun, { id: runId }, { populate: ['diff'] }),
      { signal: this.stopping.signal },
    );
    // A job for an attempt that is over (re-queued, cancelled, finished) has nothing to do.
    if (!run || run.attempt !== attempt || !LIVE_STATUSES.includes(run.status)) return;
    const claim = await lifecycle.claim(runId, attempt);
    if (!claim) return; // another worker holds it (a re-delivered job), or it moved on
    const scorer = this.options.scorers[run.scorer];
    if (!scorer) {
      await lifecycle.fail(claim, {
        code: 'SCORER_UNAVAILABLE',
        message: `the ${run.scorer} scorer is not configured on this server (the LLM scorer needs OPENAI_API_KEY)`,
        retryable: false,
      });
      return;
    }

    const controller = new AbortController();
    job.signal?.addEventListener('abort', () => controller.abort(new RunMovedError('job expired')));
    this.active.set(runId, { attempt, controller });
    try {
      const report = async (step: string, pct: number) => {
        if (!(await lifecycle.progress(claim, step, pct))) controller.abort(new RunMovedError('run moved'));
      };
      await report('scoring', 5);
      const result = await scorer.score(
        { repository: run.repository, prNumber: run.prNumber, title: run.title, diff: run.diff },
        { signal: controller.signal, progress: (step, pct) => report(step, 5 + pct * 0.9) },
      );
      if (controller.signal.aborted) return await this.stopped(claim, controller.signal);
      await lifecycle.complete(claim, result);
    } catch (error) {
      if (controller.signal.aborted) return await this.stopped(claim, controller.signal);
      const failure = describeFailure(error);
      if (failure.retryable && job.retryCount < this.options.retryLimit) {
        log.warn(
          { runId, attempt, code: failure.code, retry: job.retryCount + 1 },
          'scoring attempt failed; retrying',
        );
        await lifecycle.retryLater(claim, failure);
        await this.databaseAnswers(this.stopping.signal); // so pg-boss can record the retry
        throw error;
      }
      log.warn({ runId, attempt, code: failure.code }, 'scoring run failed');
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
  return { code: 'INTERNAL', message: 'the scorer failed unexpectedly; see the run trace', retryable: false };
}
