import type { EntityManager } from '../database/orm.ts';
import { execute } from '../database/parameterised.ts';
import { type FailureReport, writeFailure } from '../failures/failure-outbox.ts';
import { contentHash } from '../persistence/content-hash.ts';
import { readBackOf, type WriteDefinition } from '../persistence/reliable-writer.ts';
import { isTerminal, type RunKind } from './run-kind.ts';

/**
 * A guarded transition: applied only while the run is in one of `from` at the caller's attempt,
 * so a late write from an orphaned attempt never overwrites what happened since. A worker's steps
 * also carry its claim's `lease` and a step number: a step of an older claim, or an older step of
 * this one (replayed late from the spool, say), matches nothing.
 */
export interface Transition {
  runId: string;
  attempt: number;
  from: string[];
  to: string;
  /** Re-queue: the attempt the run moves to. */
  nextAttempt?: number;
  step: string | null;
  pct: number;
  at: string;
  error?: { code: string; message: string; retryable: boolean };
  /**
   * The worker's claim. With `claims`, this transition takes the run under this lease (from the
   * queued status, or from a claim whose heartbeat is older than `staleAfterMs`); otherwise, when
   * set, the run must be under it.
   */
  lease?: string;
  claims?: boolean;
  staleAfterMs?: number;
  /** The step's number within its claim (1, 2, …): applied only after every lower one. */
  seq?: number;
  /** The failure this transition records (an error, a re-queue): outboxed only if it applies. */
  failure?: FailureReport;
}

/** The lifecycle columns of a run as the read-back finds them. */
export interface RunState {
  id: string;
  status: string;
  attempt: number;
  version: number;
  transitionKey: string | null;
}

export interface TransitionResult {
  /** False when the guard did not hold: the run was cancelled, re-queued or ended meanwhile. */
  applied: boolean;
  run: RunState | null;
}

export const transitionKey = (p: Transition) =>
  `${p.runId}:${p.attempt}:${p.lease ?? '-'}:${p.seq ?? 0}:${p.to}:${p.at}`;

/**
 * The guard and the bookkeeping every transition of a run shares (a service's final write too):
 * its version is counted, its key recorded, and its heartbeat only ever moves forward.
 */
export function guardedUpdate(kind: RunKind, p: Transition, set: string, setParams: unknown[]) {
  const where: string[] = ['id = ?', 'attempt = ?', `status in (${p.from.map(() => '?').join(', ')})`];
  const params: unknown[] = [p.runId, p.attempt, ...p.from];
  if (p.claims) {
    where.push(`(status = ? or heartbeat_at < now() - make_interval(secs => ?))`);
    params.push(kind.statuses.queued, (p.staleAfterMs ?? 0) / 1000);
  } else if (p.lease) {
    where.push('lease = ?', 'step_seq < ?');
    params.push(p.lease, p.seq ?? 0);
  }
  const at = new Date(p.at);
  const lease = p.claims
    ? p.lease
    : p.lease && !isTerminal(kind, p.to) && p.to !== kind.statuses.queued
      ? p.lease
      : null;
  return {
    sql: `update ${kind.table} set ${set},
            version = version + 1, transition_key = ?, lease = ?, step_seq = ?,
            heartbeat_at = greatest(heartbeat_at, ?), updated_at = greatest(updated_at, ?)
          where ${where.join(' and ')} returning id`,
    params: [...setParams, transitionKey(p), lease ?? null, p.claims ? 0 : (p.seq ?? 0), at, at, ...params],
  };
}

/** The run's lifecycle columns, or null when there is no such run. */
export async function readRunState(
  kind: RunKind,
  em: EntityManager,
  runId: string,
): Promise<RunState | null> {
  return (await readRunStates(kind, em, [runId])).get(runId) ?? null;
}

/** The lifecycle columns of the runs that exist among `runIds`, by id: one query. */
export async function readRunStates(
  kind: RunKind,
  em: EntityManager,
  runIds: string[],
): Promise<Map<string, RunState>> {
  const ids = [...new Set(runIds)];
  if (ids.length === 0) return new Map(); // `in ()` is not SQL
  const rows = await execute<RunState>(
    em,
    `select id, status, attempt, version, transition_key as "transitionKey" from ${kind.table}
      where id in (${ids.map(() => '?').join(', ')})`,
    ids,
  );
  return new Map(rows.map((row) => [row.id, row]));
}

/** The write definition of a service's run transitions (`<service>.run.transition`). */
export function transitionWriteFor(kind: RunKind): WriteDefinition<Transition, TransitionResult> {
  const content = (p: Transition) => ({ runId: p.runId, attempt: p.nextAttempt ?? p.attempt, status: p.to });
  return {
    name: `${kind.service}.run.transition`,
    key: transitionKey,
    tenant: (p) => ({ runId: p.runId, runTable: kind.table }),
    orderKey: (p) => p.runId,
    content,
    async write(em, p) {
      const at = new Date(p.at);
      const requeue = p.nextAttempt !== undefined;
      const ends = isTerminal(kind, p.to);
      // Within an attempt progress only moves forward; a re-queue or an end sets it.
      const set = [
        'status = ?',
        'attempt = ?',
        'progress_step = ?',
        requeue || ends ? 'progress_pct = ?' : 'progress_pct = greatest(progress_pct, ?)',
        ...(p.to === kind.statuses.claimed ? ['started_at = coalesce(started_at, ?)'] : []),
        ...(ends ? ['finished_at = ?'] : []),
        ...(p.error ? ['error_code = ?', 'error_message = ?', 'error_retryable = ?'] : []),
      ].join(', ');
      const params = [
        p.to,
        p.nextAttempt ?? p.attempt,
        p.step,
        p.pct,
        ...(p.to === kind.statuses.claimed ? [at] : []),
        ...(ends ? [at] : []),
        ...(p.error ? [p.error.code, p.error.message, p.error.retryable] : []),
      ];
      const update = guardedUpdate(kind, p, set, params);
      const moved = await execute<{ id: string }>(em, update.sql, update.params);
      if (p.failure && moved.length > 0) {
        await writeFailure(em, kind.outbox, p.failure, { runId: p.runId, runTable: kind.table });
      }
    },
    readBack: readBackOf(readBackMany),
    readBackMany,
  };

  async function readBackMany(em: EntityManager, payloads: Transition[]) {
    const runs = await readRunStates(
      kind,
      em,
      payloads.map((p) => p.runId),
    );
    return payloads.map((p) => {
      const run = runs.get(p.runId) ?? null;
      // Applied iff the run's last transition is this one; then what is stored is checked against
      // what was meant. One that did not apply (the guard did not hold) is an outcome, not a failed
      // write: nothing is retried or spooled.
      const applied = run?.transitionKey === transitionKey(p);
      const stored = applied ? { runId: run!.id, attempt: run!.attempt, status: run!.status } : content(p);
      return { result: { applied, run }, content: stored, hash: contentHash(stored) };
    });
  }
}
