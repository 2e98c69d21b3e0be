import { createHash } from 'node:crypto';
import { contentHash, type WriteDefinition } from '@assay/kit';
import { raw } from '@mikro-orm/core';
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
 * so a late write from an orphaned attempt never overwrites what happened since.
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
}

export interface TransitionResult {
  /** False when the guard did not hold: the run was cancelled, re-queued or ended meanwhile. */
  applied: boolean;
  run: ScoringRun | null;
}

const TERMINAL = new Set([RunStatus.DONE, RunStatus.ERROR, RunStatus.CANCELLED]);

export const transitionWrite: WriteDefinition<Transition, TransitionResult> = {
  name: 'scoring.run.transition',
  key: (p) => `${p.runId}:${p.attempt}:${p.to}:${p.step ?? ''}:${p.pct}`,
  content: (p) => ({ runId: p.runId, attempt: p.nextAttempt ?? p.attempt, status: p.to }),
  async write(em, p) {
    const at = new Date(p.at);
    const requeue = p.nextAttempt !== undefined;
    await em
      .createQueryBuilder(ScoringRun)
      .update({
        status: p.to,
        attempt: p.nextAttempt ?? p.attempt,
        progressStep: p.step,
        // Within an attempt progress only moves forward, even when an old update is replayed late.
        progressPct: requeue || TERMINAL.has(p.to) ? p.pct : raw('greatest(progress_pct, ?)', [p.pct]),
        heartbeatAt: at,
        updatedAt: at,
        ...(p.to === RunStatus.RUNNING ? { startedAt: raw('coalesce(started_at, ?)', [at]) } : {}),
        ...(TERMINAL.has(p.to) ? { finishedAt: at } : {}),
        ...(p.error
          ? { errorCode: p.error.code, errorMessage: p.error.message, errorRetryable: p.error.retryable }
          : {}),
      })
      .where({ id: p.runId, attempt: p.attempt, status: { $in: p.from } })
      .execute();
  },
  async readBack(em, p) {
    const run = await em.findOne(ScoringRun, { id: p.runId });
    const expected = transitionWrite.content(p);
    const applied = run?.status === p.to && run.attempt === (p.nextAttempt ?? p.attempt);
    // A guard that did not hold is an outcome, not a failed write: nothing is retried or spooled.
    return { result: { applied, run }, content: expected, hash: contentHash(expected) };
  },
};
