import { createHash } from 'node:crypto';
import { contentHash, type WriteDefinition } from '@assay/kit';
import { RunStatus, type ScorerKind, ScoringRun } from './run.entity.ts';

/** A new run, as the client asked for it. */
export interface CreateRun {
  id: string;
  tenantId: string;
  idempotencyKey: string | null;
  repository: string;
  prNumber: number | null;
  title: string | null;
  diff: string;
  scorer: ScorerKind;
  traceId: string | null;
  createdAt: string;
}

/** A new run's columns from its request: what is stored, and what a spooled run answers with. */
export function newRunColumns(p: CreateRun) {
  const at = new Date(p.createdAt);
  return {
    id: p.id,
    tenantId: p.tenantId,
    idempotencyKey: p.idempotencyKey,
    repository: p.repository,
    prNumber: p.prNumber,
    title: p.title,
    diffBytes: Buffer.byteLength(p.diff, 'utf8'),
    scorer: p.scorer,
    traceId: p.traceId,
    status: RunStatus.QUEUED,
    createdAt: at,
    updatedAt: at,
  };
}

/** What identifies a request: the same key with the same content is the same run. */
function requested(
  p: Pick<CreateRun, 'tenantId' | 'idempotencyKey' | 'repository' | 'prNumber' | 'title' | 'scorer'> & {
    diffSha256: string;
  },
) {
  return {
    tenantId: p.tenantId,
    idempotencyKey: p.idempotencyKey,
    repository: p.repository,
    prNumber: p.prNumber,
    title: p.title,
    diffSha256: p.diffSha256,
    scorer: p.scorer,
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export const createRunWrite: WriteDefinition<CreateRun, ScoringRun> = {
  name: 'scoring.run.create',
  key: (p) => (p.idempotencyKey ? `${p.tenantId}:${p.idempotencyKey}` : p.id),
  // A run's transitions wait behind its creation while that is still spooled.
  orderKey: (p) => p.id,
  content: (p) => requested({ ...p, diffSha256: sha256(p.diff) }),
  async write(em, p, hash) {
    await em
      .createQueryBuilder(ScoringRun)
      .insert({ ...newRunColumns(p), diff: p.diff, contentHash: hash, heartbeatAt: new Date(p.createdAt) })
      .onConflict(p.idempotencyKey ? ['tenantId', 'idempotencyKey'] : ['id'])
      .ignore()
      .execute();
  },
  async readBack(em, p) {
    const where = p.idempotencyKey
      ? { tenantId: p.tenantId, idempotencyKey: p.idempotencyKey }
      : { id: p.id };
    const run = await em.findOne(ScoringRun, where, { populate: ['diff'] });
    if (!run) return null;
    return {
      result: run,
      content: requested({ ...run, diffSha256: sha256(run.diff) }),
      hash: run.contentHash ?? '',
    };
  },
};

/**
 * A guarded transition: applied only while the run is in one of `from` at the caller's attempt,
 * so a late write from an orphaned attempt never overwrites what happened since. A worker's steps
 * also carry its claim's `lease` and a step number: a step of an older claim, or an older step of
 * this one (replayed late from the spool, say), matches nothing.
 */
export interface Transition {
  runId: string;
  attempt: number;
  from: RunStatus[];
  to: RunStatus;
  /** Re-queue: the attempt the run moves to. */
  nextAttempt?: number;
  step: string | null;
  pct: number;
  at: string;
  error?: { code: string; message: string; retryable: boolean };
  /**
   * The worker's claim. With `claims`, this transition takes the run under this lease (from QUEUED,
   * or from a claim whose heartbeat is older than `staleAfterMs`); otherwise, when set, the run
   * must be under it.
   */
  lease?: string;
  claims?: boolean;
  staleAfterMs?: number;
  /** The step's number within its claim (1, 2, …): applied only after every lower one. */
  seq?: number;
}

export interface TransitionResult {
  /** False when the guard did not hold: the run was cancelled, re-queued or ended meanwhile. */
  applied: boolean;
  run: ScoringRun | null;
}

const TERMINAL = new Set([RunStatus.DONE, RunStatus.ERROR, RunStatus.CANCELLED]);

export const transitionKey = (p: Transition) =>
  `${p.runId}:${p.attempt}:${p.lease ?? '-'}:${p.seq ?? 0}:${p.to}:${p.at}`;

/**
 * The guard and the bookkeeping every transition of a run shares (DONE too): its version is
 * counted, its key recorded, and its heartbeat only ever moves forward.
 */
export function guardedUpdate(p: Transition, set: string, setParams: unknown[]) {
  const where: string[] = ['id = ?', 'attempt = ?', `status in (${p.from.map(() => '?').join(', ')})`];
  const params: unknown[] = [p.runId, p.attempt, ...p.from];
  if (p.claims) {
    where.push(`(status = 'QUEUED' or heartbeat_at < now() - make_interval(secs => ?))`);
    params.push((p.staleAfterMs ?? 0) / 1000);
  } else if (p.lease) {
    where.push('lease = ?', 'step_seq < ?');
    params.push(p.lease, p.seq ?? 0);
  }
  const at = new Date(p.at);
  const lease = p.claims
    ? p.lease
    : p.lease && !TERMINAL.has(p.to) && p.to !== RunStatus.QUEUED
      ? p.lease
      : null;
  return {
    sql: `update "scoring"."scoring_run" set ${set},
            version = version + 1, transition_key = ?, lease = ?, step_seq = ?,
            heartbeat_at = greatest(heartbeat_at, ?), updated_at = greatest(updated_at, ?)
          where ${where.join(' and ')} returning id`,
    params: [...setParams, transitionKey(p), lease ?? null, p.claims ? 0 : (p.seq ?? 0), at, at, ...params],
  };
}

export const transitionWrite: WriteDefinition<Transition, TransitionResult> = {
  name: 'scoring.run.transition',
  key: transitionKey,
  orderKey: (p) => p.runId,
  content: (p) => ({ runId: p.runId, attempt: p.nextAttempt ?? p.attempt, status: p.to }),
  async write(em, p) {
    const at = new Date(p.at);
    const requeue = p.nextAttempt !== undefined;
    // Within an attempt progress only moves forward; a re-queue or an end sets it.
    const set = [
      'status = ?',
      'attempt = ?',
      'progress_step = ?',
      requeue || TERMINAL.has(p.to) ? 'progress_pct = ?' : 'progress_pct = greatest(progress_pct, ?)',
      ...(p.to === RunStatus.RUNNING ? ['started_at = coalesce(started_at, ?)'] : []),
      ...(TERMINAL.has(p.to) ? ['finished_at = ?'] : []),
      ...(p.error ? ['error_code = ?', 'error_message = ?', 'error_retryable = ?'] : []),
    ].join(', ');
    const params = [
      p.to,
      p.nextAttempt ?? p.attempt,
      p.step,
      p.pct,
      ...(p.to === RunStatus.RUNNING ? [at] : []),
      ...(TERMINAL.has(p.to) ? [at] : []),
      ...(p.error ? [p.error.code, p.error.message, p.error.retryable] : []),
    ];
    const update = guardedUpdate(p, set, params);
    await em.execute(update.sql, update.params);
  },
  async readBack(em, p) {
    const run = await em.findOne(ScoringRun, { id: p.runId });
    // Applied iff the run's last transition is this one; then what is stored is checked against
    // what was meant. One that did not apply (the guard did not hold) is an outcome, not a failed
    // write: nothing is retried or spooled.
    const applied = run?.transitionKey === transitionKey(p);
    const content = applied
      ? { runId: run!.id, attempt: run!.attempt, status: run!.status }
      : transitionWrite.content(p);
    return { result: { applied, run }, content, hash: contentHash(content) };
  },
};
