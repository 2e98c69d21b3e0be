import { randomUUID } from 'node:crypto';
import {
  AppError,
  BadUserInputError,
  IdempotencyConflictError,
  isUuid,
  type Logger,
  type MikroORM,
  NotFoundError,
  nameUuid,
  paginate,
  type ReliableWriter,
} from '@assay/kit';
import type { RunLifecycle } from '@assay/kit/runs';
import type { FilterQuery } from '@mikro-orm/core';
import { trace } from '@opentelemetry/api';
import DataLoader from 'dataloader';
import { hasFileHeader, InvalidDiffError } from '../scorers/parse-diff.ts';
import { Score } from '../scores/score.entity.ts';
import { LIVE_STATUSES, PersistenceState, RunStatus, ScoringRun } from './run.entity.ts';
import type { ScoringRunFilter, StartScoringRunInput } from './run.inputs.ts';
import { type CreateRun, createRunWrite, newRunColumns } from './run.writes.ts';

export interface RunServiceOptions {
  maxDiffBytes: number;
}

export interface RunServiceDeps {
  orm: MikroORM;
  writer: ReliableWriter;
  lifecycle: RunLifecycle;
  /** Queues an attempt; never throws: one that cannot be sent now is sent once the database is back. */
  enqueue(runId: string, attempt: number): Promise<unknown>;
  log: Logger;
}

/** Owns scoring runs: validation beyond the schema, idempotent creation, cancellation, reads. */
export class RunService {
  /**
   * The scores of the runs one response lists, in one query instead of one per run: lookups made in
   * the same tick are batched. Nothing is cached, so no request sees another's stale read.
   */
  private readonly scores = new DataLoader<string, Score | null>(
    async (runIds) => {
      const found = await this.deps.orm.em.fork().find(Score, { runId: { $in: [...runIds] } });
      const byRun = new Map(found.map((score) => [score.runId, score]));
      return runIds.map((id) => byRun.get(id) ?? null);
    },
    { cache: false },
  );

  constructor(
    private readonly deps: RunServiceDeps,
    private readonly options: RunServiceOptions,
  ) {}

  async start(input: StartScoringRunInput, tenantId: string): Promise<ScoringRun> {
    const diffBytes = Buffer.byteLength(input.subject.diff, 'utf8');
    if (input.subject.diff.trim() === '')
      throw new BadUserInputError('subject.diff is empty; send a unified diff');
    if (diffBytes > this.options.maxDiffBytes) {
      throw new BadUserInputError(
        `subject.diff is ${diffBytes} bytes; the limit is ${this.options.maxDiffBytes} (ASSAY_MAX_DIFF_BYTES)`,
      );
    }
    // Every scorer reads a unified diff: one that names no file fails now, not as a run in ERROR.
    if (!hasFileHeader(input.subject.diff)) throw new InvalidDiffError();
    const payload: CreateRun = {
      // A keyed run has one id however often it is asked for, stored or spooled.
      id: input.idempotencyKey ? nameUuid(`scoring-run:${tenantId}:${input.idempotencyKey}`) : randomUUID(),
      tenantId,
      idempotencyKey: input.idempotencyKey ?? null,
      repository: input.subject.repository,
      prNumber: input.subject.prNumber ?? null,
      title: input.subject.title ?? null,
      diff: input.subject.diff,
      scorer: input.scorer,
      traceId: trace.getActiveSpan()?.spanContext().traceId ?? null,
      createdAt: new Date().toISOString(),
    };
    const saved = await this.deps.writer.persist(createRunWrite, payload).catch((error) => {
      if (error instanceof IdempotencyConflictError)
        throw new BadUserInputError(
          'idempotencyKey was already used for a different request; use a new key for a new run',
        );
      throw error;
    });
    if (saved.status === 'DEAD_LETTERED') throw saved.error;
    if (saved.status === 'SPOOLED') return spooledRun(payload);
    const run = saved.result;
    if (run.status === RunStatus.QUEUED) await this.deps.enqueue(run.id, run.attempt);
    return run;
  }

  /** Works at any non-terminal state; a running attempt stops at its next step. */
  async cancel(id: string, tenantId: string): Promise<ScoringRun> {
    for (let tries = 0; tries < 3; tries++) {
      const run = await this.get(id, tenantId);
      if (!LIVE_STATUSES.includes(run.status))
        throw new BadUserInputError(
          `run ${id} is already ${run.status}; only QUEUED, RUNNING or SCORING runs can be cancelled`,
        );
      if (await this.deps.lifecycle.cancel(run)) return this.get(id, tenantId);
      // It moved on between the read and the guarded update (a new attempt): look again.
    }
    throw new AppError('CONFLICT', `run ${id} kept changing; try again`, true);
  }

  async get(id: string, tenantId: string): Promise<ScoringRun> {
    const run = await this.find(id, tenantId);
    if (!run) throw new NotFoundError('scoring run', id);
    return run;
  }

  /** The tenant's run, or null: another tenant's id answers exactly as an unknown one. */
  find(id: string, tenantId: string): Promise<ScoringRun | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.deps.orm.em.fork().findOne(ScoringRun, { id, tenantId });
  }

  list(
    filter: ScoringRunFilter,
    first: number | null | undefined,
    after: string | null | undefined,
    tenantId: string,
  ) {
    const where: FilterQuery<ScoringRun> = { tenantId };
    if (filter.status?.length) where.status = { $in: filter.status };
    if (filter.repository) where.repository = filter.repository;
    if (filter.scorer) where.scorer = filter.scorer;
    return paginate(this.deps.orm.em.fork(), ScoringRun, where, { first, after });
  }

  /** A run's score; the run was read in its tenant, so its score is too. */
  score(runId: string): Promise<Score | null> {
    return this.scores.load(runId);
  }

  /** The alarm bell: runs marked DONE without a verified score. It must stay empty. */
  async unpersisted(sinceHours: number, tenantId: string): Promise<ScoringRun[]> {
    if (!Number.isInteger(sinceHours) || sinceHours < 1 || sinceHours > 24 * 90)
      throw new BadUserInputError('sinceHours must be a whole number of hours between 1 and 2160');
    const em = this.deps.orm.em.fork();
    const rows = await em.execute<{ id: string }[]>(
      `select r.id from scoring.scoring_run r left join scoring.score s on s.run_id = r.id
        where r.tenant_id = ? and r.status = 'DONE' and r.finished_at > now() - make_interval(hours => ?)
          and r.finished_at < now() - make_interval(secs => ?)
          and (s.id is null or s.verified_at is null)
        limit 500`,
      [tenantId, sinceHours, VERIFICATION_GRACE_SECONDS],
    );
    if (rows.length === 0) return [];
    return em.find(
      ScoringRun,
      { id: { $in: rows.map((r) => r.id) }, tenantId },
      { orderBy: { finishedAt: 'desc' } },
    );
  }
}

/**
 * How long a DONE run may go without its verified mark before it is an alarm: the mark follows the
 * commit by one read-back, but a monitor polling in between must not see a false loss.
 */
const VERIFICATION_GRACE_SECONDS = 60;

/** The run as accepted while the database is away: on disk, replayed into the database later. */
function spooledRun(p: CreateRun): ScoringRun {
  const run = new ScoringRun();
  Object.assign(run, { ...newRunColumns(p), persistence: PersistenceState.SPOOLED });
  return run;
}
