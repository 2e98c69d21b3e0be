import { AppError, classifyDbError, type Logger, type MikroORM } from '@assay/kit';
import type { Job, PgBoss } from 'pg-boss';
import { LIVE_STATUSES, type ScorerKind, ScoringRun } from '../runs/run.entity.ts';
import { endsAttempt } from '../runs/run-events.ts';
import type { RunEvent, RunFailure, RunLifecycle } from '../runs/run-lifecycle.ts';
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

/** Why an attempt stopped working: someone else now owns the run. */
class RunMovedError extends Error {}

/** Executes scoring jobs: one run attempt per job, every step a guarded transition. */
export class ScoreWorker {
  /** Attempts running in this process, so a cancel or re-queue seen on the event bus stops them. */
  private readonly active = new Map<string, { attempt: number; controller: AbortController }>();

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

  async stop(): Promise<void> {
    for (const { controller } of this.active.values()) controller.abort(new RunMovedError('shutting down'));
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
    const run = await orm.em.fork().findOne(ScoringRun, { id: runId }, { populate: ['diff'] });
    // A job for an attempt that is over (re-queued, cancelled, finished) has nothing to do.
    if (!run || run.attempt !== attempt || !LIVE_STATUSES.includes(run.status)) return;
    if (!(await lifecycle.claim(runId, attempt))) return;
    const scorer = this.options.scorers[run.scorer];
    if (!scorer) {
      await lifecycle.fail(runId, attempt, {
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
        if (!(await lifecycle.progress(runId, attempt, step, pct)))
          controller.abort(new RunMovedError('run moved'));
      };
      await report('scoring', 5);
      const result = await scorer.score(
        { repository: run.repository, prNumber: run.prNumber, title: run.title, diff: run.diff },
        { signal: controller.signal, progress: (step, pct) => report(step, 5 + pct * 0.9) },
      );
      if (controller.signal.aborted) return;
      await lifecycle.complete(runId, attempt, result);
    } catch (error) {
      if (controller.signal.aborted) return;
      const failure = describeFailure(error);
      if (failure.retryable && job.retryCount < this.options.retryLimit) {
        log.warn(
          { runId, attempt, code: failure.code, retry: job.retryCount + 1 },
          'scoring attempt failed; retrying',
        );
        await lifecycle.retryLater(runId, attempt, failure);
        throw error;
      }
      log.warn({ runId, attempt, code: failure.code }, 'scoring run failed');
      await lifecycle.fail(runId, attempt, failure);
    } finally {
      this.active.delete(runId);
    }
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
