import { randomUUID } from 'node:crypto';
import { type FailureReport, failureReport } from '../failures/failure-outbox.ts';
import type { Logger } from '../logging/logger.ts';
import type { ReliableWriter, WriteDefinition } from '../persistence/reliable-writer.ts';
import type { RunEvent } from './run-events.ts';
import { claimedStatuses, liveStatuses, type RunKind } from './run-kind.ts';
import { type Transition, transitionWriteFor } from './transition.write.ts';

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

/** What a claim's step adds to a write's payload: the run, attempt, lease and step number. */
export interface ClaimStep {
  runId: string;
  attempt: number;
  lease: string;
  seq: number;
  at: string;
}

/**
 * The result of a service's final write (a score, a decision, stored with the run's end in one
 * transaction, guarded by `guardedUpdate`): whether it applied, and the run's version after it.
 */
export interface FinalResult {
  applied: boolean;
  version: number | null;
}

export interface RunLifecycleOptions {
  /** A claimed run silent this long may be claimed again (its worker's process is gone). */
  staleAfterMs: number;
}

/**
 * A run's state machine, `queued -> claimed -> working -> done | failed | cancelled` in the
 * service's own status names, on the reliable write path. Each step is a guarded update and
 * answers whether it applied; every applied step is a heartbeat and is published with the run's
 * new version.
 */
export class RunLifecycle {
  private readonly transitions: WriteDefinition<
    Transition,
    { applied: boolean; run: { version: number } | null }
  >;

  constructor(
    private readonly kind: RunKind,
    private readonly writer: ReliableWriter,
    private readonly publish: PublishRunEvent,
    private readonly log: Logger,
    private readonly options: RunLifecycleOptions,
  ) {
    this.transitions = transitionWriteFor(kind);
    writer.register(this.transitions);
    // A step stored later from the spool is published then: a subscriber waiting for the end gets it.
    writer.onReplayed(this.transitions, (t, result) =>
      result.applied && result.run ? this.emit(transitionEvent(t, result.run.version)) : undefined,
    );
  }

  /**
   * Registers a service's final write (its result and the run's `done`, in one transaction): once
   * stored, by the caller or later by the replayer, the end is published.
   */
  registerFinal<P extends ClaimStep>(write: WriteDefinition<P, FinalResult>): void {
    this.writer.register(write);
    this.writer.onReplayed(write, (p, result) =>
      result.applied ? this.emit(this.doneEvent(p, result.version ?? 0)) : undefined,
    );
  }

  /**
   * The attempt's worker takes the run: from queued (a new job, or a job retry after the run was
   * handed back), or from a claim gone silent. Exclusive: a second worker on the same attempt (a
   * re-delivered job) gets null while the first is alive.
   */
  async claim(runId: string, attempt: number): Promise<Claim | null> {
    const claim: Claim = { runId, attempt, lease: randomUUID(), seq: 0 };
    const applied = await this.move({
      runId,
      attempt,
      from: liveStatuses(this.kind),
      to: this.kind.statuses.claimed,
      step: 'started',
      pct: 0,
      lease: claim.lease,
      claims: true,
      staleAfterMs: this.options.staleAfterMs,
    });
    return applied ? claim : null;
  }

  progress(claim: Claim, step: string, pct: number, detail?: RunEvent['detail']): Promise<boolean> {
    return this.move(
      {
        ...this.next(claim),
        from: claimedStatuses(this.kind),
        to: this.kind.statuses.working,
        step,
        pct: Math.max(0, Math.min(99, Math.round(pct))),
      },
      detail,
    );
  }

  /**
   * The run's end with its result, through the service's final write (registered with
   * `registerFinal`), read back and verified. A result the database refuses for good ends the run in
   * the failed status with `notStoredCode`.
   */
  async complete<P extends ClaimStep>(
    claim: Claim,
    write: WriteDefinition<P, FinalResult>,
    payload: Omit<P, keyof ClaimStep>,
    notStoredCode = 'RESULT_NOT_STORED',
  ): Promise<boolean> {
    const full = { ...payload, ...this.next(claim), at: new Date().toISOString() } as P;
    const saved = await this.writer.persist(write, full);
    if (saved.status === 'DEAD_LETTERED') {
      await this.fail(claim, { code: notStoredCode, message: saved.error.message, retryable: false });
      return false;
    }
    if (saved.status === 'SAVED' && !saved.result.applied) return false;
    // Spooled: stored when the replayer gets to it (in order, behind the run's earlier steps),
    // unless the run has moved on by then; published then (see registerFinal), so subscribers
    // never see an end the database may not keep.
    if (saved.status === 'SAVED') this.emit(this.doneEvent(full, saved.result.version ?? 0));
    return true;
  }

  /**
   * Failed: by the worker under its claim, or by the watchdog for a run whose worker is gone. The
   * failure goes to the catalog's outbox in the same transaction.
   */
  fail(by: Claim | { runId: string; attempt: number }, error: RunFailure): Promise<boolean> {
    const worker = 'lease' in by;
    return this.move({
      ...(worker ? this.next(by) : { runId: by.runId, attempt: by.attempt }),
      from: liveStatuses(this.kind),
      to: this.kind.statuses.failed,
      step: 'failed',
      pct: 100,
      error,
      failure: this.failure(by, worker ? 'run' : 'watchdog', error),
    });
  }

  /** A failure of the run's current attempt, as the catalog gets it. */
  private failure(run: { runId: string; attempt: number }, stage: string, error: RunFailure) {
    return failureReport({
      service: this.kind.service,
      runId: run.runId,
      occurrence: String(run.attempt),
      stage,
      errorCode: error.code,
      errorMessage: error.message,
      retryable: error.retryable,
      context: { attempt: run.attempt },
    });
  }

  cancel(run: { id: string; attempt: number; progressPct: number }): Promise<boolean> {
    return this.move({
      runId: run.id,
      attempt: run.attempt,
      from: liveStatuses(this.kind),
      to: this.kind.statuses.cancelled,
      step: 'cancelled',
      pct: run.progressPct,
    });
  }

  /**
   * The attempt failed in a way worth retrying and its job will run again after a backoff: back to
   * queued at the same attempt, so watchers see it wait and the watchdog counts it as queued.
   */
  retryLater(claim: Claim, failure: RunFailure): Promise<boolean> {
    // Numbered by the step: each retried failure of the attempt is an occurrence of its own.
    const report = this.failure(
      { runId: claim.runId, attempt: claim.attempt },
      `attempt:${claim.seq + 1}`,
      failure,
    );
    return this.release(claim, `retrying after ${failure.code}`, report);
  }

  /** The process is stopping: the attempt goes back to queued, for its job's retry to take at once. */
  handBack(claim: Claim): Promise<boolean> {
    return this.release(claim, 'handed back: the worker stopped');
  }

  /** The watchdog gives a stalled run another attempt; the stall is reported to the catalog. */
  requeue(run: { id: string; attempt: number }, reason: string): Promise<boolean> {
    return this.move({
      runId: run.id,
      attempt: run.attempt,
      nextAttempt: run.attempt + 1,
      from: liveStatuses(this.kind),
      to: this.kind.statuses.queued,
      step: reason,
      pct: 0,
      failure: this.failure({ runId: run.id, attempt: run.attempt }, 'watchdog', {
        code: 'RUN_STALLED',
        message: reason,
        retryable: true,
      }),
    });
  }

  private release(claim: Claim, step: string, failure?: FailureReport): Promise<boolean> {
    return this.move({
      ...this.next(claim),
      from: claimedStatuses(this.kind),
      to: this.kind.statuses.queued,
      step,
      pct: 0,
      failure,
    });
  }

  /** The claim's next step: its lease and the next number. */
  private next(claim: Claim) {
    claim.seq += 1;
    return { runId: claim.runId, attempt: claim.attempt, lease: claim.lease, seq: claim.seq };
  }

  private async move(t: Omit<Transition, 'at'>, detail?: RunEvent['detail']): Promise<boolean> {
    const at = new Date().toISOString();
    const outcome = await this.writer.persist(this.transitions, { ...t, at });
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
      this.emit({ ...transitionEvent({ ...t, at }, outcome.result.run?.version ?? 0), detail });
    return true;
  }

  private doneEvent(p: ClaimStep, version: number): RunEvent {
    return {
      runId: p.runId,
      status: this.kind.statuses.done,
      progressStep: 'done',
      progressPct: 100,
      attempt: p.attempt,
      version,
      at: new Date(p.at),
    };
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
