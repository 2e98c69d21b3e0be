import { randomUUID } from 'node:crypto';
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
  /** The run's stored version after this transition: events of one run are ordered by it. */
  version: number;
  at: Date;
}

export type PublishRunEvent = (event: RunEvent) => Promise<void>;

export interface RunFailure {
  code: string;
  message: string;
  retryable: boolean;
}

/**
 * A worker's hold on a run's attempt: every later step of the worker is guarded by its lease and
 * numbered, so none of them can apply after the run was taken over, or over a newer step.
 */
export interface Claim {
  runId: string;
  attempt: number;
  lease: string;
  /** The last step number used. */
  seq: number;
}

export interface RunLifecycleOptions {
  /** A claimed run silent this long may be claimed again (its worker's process is gone). */
  staleAfterMs: number;
}

/**
 * The run state machine, `QUEUED -> RUNNING -> SCORING -> DONE | ERROR | CANCELLED`, on the
 * reliable write path. Each step is a guarded update and answers whether it applied; every applied
 * step is a heartbeat and is published with the run's new version.
 */
export class RunLifecycle {
  constructor(
    private readonly writer: ReliableWriter,
    private readonly publish: PublishRunEvent,
    private readonly log: Logger,
    private readonly options: RunLifecycleOptions,
  ) {
    // A step stored later from the spool is published then: a subscriber waiting for DONE gets it.
    writer.onReplayed(transitionWrite, (t, result) =>
      result.applied && result.run ? this.emit(transitionEvent(t, result.run.version)) : undefined,
    );
    writer.onReplayed(completeRunWrite, (p, result) =>
      result.applied ? this.emit(doneEvent(p, result.version ?? 0)) : undefined,
    );
  }

  /**
   * The attempt's worker takes the run: from QUEUED (a new job, or a job retry after the run was
   * handed back), or from a claim gone silent. Exclusive: a second worker on the same attempt (a
   * re-delivered job) gets null while the first is alive.
   */
  async claim(runId: string, attempt: number): Promise<Claim | null> {
    const claim: Claim = { runId, attempt, lease: randomUUID(), seq: 0 };
    const applied = await this.move({
      runId,
      attempt,
      from: LIVE_STATUSES,
      to: RunStatus.RUNNING,
      step: 'started',
      pct: 0,
      lease: claim.lease,
      claims: true,
      staleAfterMs: this.options.staleAfterMs,
    });
    return applied ? claim : null;
  }

  progress(claim: Claim, step: string, pct: number): Promise<boolean> {
    return this.move({
      ...this.next(claim),
      from: [RunStatus.RUNNING, RunStatus.SCORING],
      to: RunStatus.SCORING,
      step,
      pct: Math.max(0, Math.min(99, Math.round(pct))),
    });
  }

  /** DONE with its score, verified by read-back and marked so. */
  async complete(claim: Claim, score: ScoreResult): Promise<boolean> {
    const at = new Date().toISOString();
    const payload = { ...this.next(claim), score, at };
    const saved = await this.writer.persist(completeRunWrite, payload);
    if (saved.status === 'DEAD_LETTERED') {
      await this.fail(claim, { code: 'SCORE_NOT_STORED', message: saved.error.message, retryable: false });
      return false;
    }
    if (saved.status === 'SAVED' && !saved.result.applied) return false;
    // Spooled: stored when the replayer gets to it (in order, behind the run's earlier steps),
    // unless the run has moved on by then; published then (see the constructor), so subscribers
    // never see a DONE the database may not keep.
    if (saved.status === 'SAVED') this.emit(doneEvent(payload, saved.result.version ?? 0));
    return true;
  }

  /** ERROR: by the worker under its claim, or by the watchdog for a run whose worker is gone. */
  fail(by: Claim | { runId: string; attempt: number }, error: RunFailure): Promise<boolean> {
    return this.move({
      ...('lease' in by ? this.next(by) : { runId: by.runId, attempt: by.attempt }),
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
  retryLater(claim: Claim, failure: RunFailure): Promise<boolean> {
    return this.release(claim, `retrying after ${failure.code}`);
  }

  /** The process is stopping: the attempt goes back to QUEUED, for its job's retry to take at once. */
  handBack(claim: Claim): Promise<boolean> {
    return this.release(claim, 'handed back: the worker stopped');
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

  private release(claim: Claim, step: string): Promise<boolean> {
    return this.move({
      ...this.next(claim),
      from: [RunStatus.RUNNING, RunStatus.SCORING],
      to: RunStatus.QUEUED,
      step,
      pct: 0,
    });
  }

  /** The claim's next step: its lease and the next number. */
  private next(claim: Claim) {
    claim.seq += 1;
    return { runId: claim.runId, attempt: claim.attempt, lease: claim.lease, seq: claim.seq };
  }

  private async move(t: Omit<Transition, 'at'>): Promise<boolean> {
    const at = new Date().toISOString();
    const outcome = await this.writer.persist(transitionWrite, { ...t, at });
    if (outcome.status === 'DEAD_LETTERED') {
      this.log.error(
        { runId: t.runId, to: t.to, code: outcome.error.reason },
        'run transition dead-lettered',
      );
      return false;
    }
    if (outcome.status === 'SAVED' && !outcome.result.applied) return false;
    // A spooled step carries on (the replayer stores it in order, if the claim still holds) and
    // is published once stored: subscribers only see what the database holds.
    if (outcome.status === 'SAVED')
      this.emit(transitionEvent({ ...t, at }, outcome.result.run?.version ?? 0));
    return true;
  }

  /**
   * Not awaited: publishing is off the transition's critical path, so a slow or hung NOTIFY never
   * holds up a run. Progress is a courtesy to watchers; the stored state is the truth (followers
   * read it again when an event goes missing), so a lost event is only logged.
   */
  private emit(event: RunEvent): void {
    this.publish(event).catch((error) =>
      this.log.warn({ runId: event.runId, err: error }, 'run event not published'),
    );
  }
}

function transitionEvent(t: Transition, version: number): RunEvent {
  return {
    runId: t.runId,
    status: t.to,
    progressStep: t.step,
    progressPct: t.pct,
    attempt: t.nextAttempt ?? t.attempt,
    version,
    at: new Date(t.at),
  };
}

function doneEvent(p: { runId: string; attempt: number; at: string }, version: number): RunEvent {
  return {
    runId: p.runId,
    status: RunStatus.DONE,
    progressStep: 'done',
    progressPct: 100,
    attempt: p.attempt,
    version,
    at: new Date(p.at),
  };
}
