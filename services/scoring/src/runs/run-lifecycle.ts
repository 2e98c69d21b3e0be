import type { Logger, ReliableWriter } from '@assay/kit';
import type { ScoreResult } from '../scorers/scorer.ts';
import { completeRunWrite } from '../scores/score.writes.ts';
import { LIVE_STATUSES, RunStatus, type ScoringRun } from './run.entity.ts';
import { type Transition, transitionWrite } from './run.writes.ts';

/** Every transition and progress step of a run, as subscribers see it. */
export interface RunEvent {
  runId: string;
  status: RunStatus;
  progressStep: string | null;
  progressPct: number;
  attempt: number;
  at: Date;
}

export type PublishRunEvent = (event: RunEvent) => Promise<void>;

export interface RunFailure {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * The run state machine, `QUEUED -> RUNNING -> SCORING -> DONE | ERROR | CANCELLED`, on the
 * reliable write path. Each step is a guarded update and answers whether it applied; every applied
 * step is a heartbeat and is published.
 */
export class RunLifecycle {
  constructor(
    private readonly writer: ReliableWriter,
    private readonly publish: PublishRunEvent,
    private readonly log: Logger,
  ) {
    // A step stored later from the spool is published then: a subscriber waiting for DONE gets it.
    writer.onReplayed(transitionWrite, (t, result) =>
      result.applied ? this.emit(transitionEvent(t)) : undefined,
    );
    writer.onReplayed(completeRunWrite, (p, result) =>
      result.applied ? this.emit(doneEvent(p.runId, p.attempt, new Date(p.at))) : undefined,
    );
  }

  /** The attempt's worker takes the run (again, after a job retry of the same attempt). */
  claim(runId: string, attempt: number): Promise<boolean> {
    return this.move({ runId, attempt, from: LIVE_STATUSES, to: RunStatus.RUNNING, step: 'started', pct: 0 });
  }

  progress(runId: string, attempt: number, step: string, pct: number): Promise<boolean> {
    return this.move({
      runId,
      attempt,
      from: [RunStatus.RUNNING, RunStatus.SCORING],
      to: RunStatus.SCORING,
      step,
      pct: Math.max(0, Math.min(99, Math.round(pct))),
    });
  }

  /** DONE with its score, verified by read-back and marked so. */
  async complete(runId: string, attempt: number, score: ScoreResult): Promise<boolean> {
    const at = new Date();
    const saved = await this.writer.persist(completeRunWrite, {
      runId,
      attempt,
      score,
      at: at.toISOString(),
    });
    if (saved.status === 'DEAD_LETTERED') {
      await this.fail(runId, attempt, {
        code: 'SCORE_NOT_STORED',
        message: saved.error.message,
        retryable: false,
      });
      return false;
    }
    if (saved.status === 'SAVED' && !saved.result.applied) return false;
    // Spooled: stored when the replayer gets to it, unless the run has moved on by then; published
    // then (see the constructor), so subscribers never see a DONE the database may not keep.
    if (saved.status === 'SAVED') await this.emit(doneEvent(runId, attempt, at));
    return true;
  }

  fail(runId: string, attempt: number, error: RunFailure): Promise<boolean> {
    return this.move({
      runId,
      attempt,
      from: LIVE_STATUSES,
      to: RunStatus.ERROR,
      step: 'failed',
      pct: 100,
      error,
    });
  }

  cancel(run: ScoringRun): Promise<boolean> {
    return this.move({
      runId: run.id,
      attempt: run.attempt,
      from: LIVE_STATUSES,
      to: RunStatus.CANCELLED,
      step: 'cancelled',
      pct: run.progressPct,
    });
  }

  /**
   * The attempt failed in a way worth retrying and its job will run again after a backoff: back to
   * QUEUED at the same attempt, so watchers see it wait and the watchdog counts it as queued.
   */
  retryLater(runId: string, attempt: number, failure: RunFailure): Promise<boolean> {
    return this.move({
      runId,
      attempt,
      from: [RunStatus.RUNNING, RunStatus.SCORING],
      to: RunStatus.QUEUED,
      step: `retrying after ${failure.code}`,
      pct: 0,
    });
  }

  /** The watchdog gives a stalled run another attempt. */
  requeue(run: Pick<ScoringRun, 'id' | 'attempt'>, reason: string): Promise<boolean> {
    return this.move({
      runId: run.id,
      attempt: run.attempt,
      nextAttempt: run.attempt + 1,
      from: LIVE_STATUSES,
      to: RunStatus.QUEUED,
      step: reason,
      pct: 0,
    });
  }

  private async move(t: Omit<Transition, 'at'>): Promise<boolean> {
    const at = new Date();
    const outcome = await this.writer.persist(transitionWrite, { ...t, at: at.toISOString() });
    if (outcome.status === 'DEAD_LETTERED') {
      this.log.error(
        { runId: t.runId, to: t.to, code: outcome.error.reason },
        'run transition dead-lettered',
      );
      return false;
    }
    if (outcome.status === 'SAVED' && !outcome.result.applied) return false;
    // A spooled step carries on (the replayer stores it if the attempt is still current) and is
    // published once stored: subscribers only see what the database holds.
    if (outcome.status === 'SAVED') await this.emit(transitionEvent({ ...t, at: at.toISOString() }));
    return true;
  }

  private async emit(event: RunEvent): Promise<void> {
    // Progress is a courtesy to watchers; the stored state is the truth, so a lost event is logged.
    await this.publish(event).catch((error) =>
      this.log.warn({ runId: event.runId, err: error }, 'run event not published'),
    );
  }
}

function transitionEvent(t: Transition): RunEvent {
  return {
    runId: t.runId,
    status: t.to,
    progressStep: t.step,
    progressPct: t.pct,
    attempt: t.nextAttempt ?? t.attempt,
    at: new Date(t.at),
  };
}

function doneEvent(runId: string, attempt: number, at: Date): RunEvent {
  return { runId, status: RunStatus.DONE, progressStep: 'done', progressPct: 100, attempt, at };
}
