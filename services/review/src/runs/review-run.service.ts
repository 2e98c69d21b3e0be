import { randomUUID } from 'node:crypto';
import {
  AppError,
  BadUserInputError,
  IdempotencyConflictError,
  isUuid,
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
import type { PersonaSet } from '../personas/persona-set.ts';
import { Decision } from '../reviews/decision.entity.ts';
import { PersonaReview } from '../reviews/persona-review.entity.ts';
import { ProposalVersion } from '../reviews/proposal-version.entity.ts';
import { LIVE_REVIEW_STATUSES, ReviewRun, ReviewRunType } from './review-run.entity.ts';
import type { ReviewRunFilter, ReviseReviewInput, StartReviewInput } from './review-run.inputs.ts';
import { type CreateReview, createReviewWrite, newReviewColumns } from './review-run.writes.ts';

export interface ReviewRunServiceDeps {
  orm: MikroORM;
  writer: ReliableWriter;
  lifecycle: RunLifecycle;
  /** Queues an attempt; never throws: one that cannot be sent now is sent once the database is back. */
  enqueue(runId: string, attempt: number): Promise<unknown>;
  personas: PersonaSet;
  model: string;
  temperature: number | null;
}

/** Loads one row per run for the runs a response lists, in one query (nothing cached across requests). */
function byRun<T extends { runId: string }>(orm: MikroORM, entity: new () => T) {
  return new DataLoader<string, T[]>(
    async (runIds) => {
      const rows = await orm.em.fork().find(entity, { runId: { $in: [...runIds] } } as FilterQuery<T>);
      return runIds.map((id) => rows.filter((r) => r.runId === id));
    },
    { cache: false },
  );
}

/** Owns review runs: validation beyond the schema, idempotent creation, revisions, cancellation, reads. */
export class ReviewRunService {
  private readonly reviews: DataLoader<string, PersonaReview[]>;
  private readonly proposals: DataLoader<string, ProposalVersion[]>;
  private readonly decisions: DataLoader<string, Decision[]>;

  constructor(private readonly deps: ReviewRunServiceDeps) {
    this.reviews = byRun(deps.orm, PersonaReview);
    this.proposals = byRun(deps.orm, ProposalVersion);
    this.decisions = byRun(deps.orm, Decision);
  }

  start(input: StartReviewInput, tenantId: string): Promise<ReviewRun> {
    if (input.idea.trim() === '')
      throw new BadUserInputError('idea is blank; describe the proposal to review');
    return this.create(
      {
        runType: ReviewRunType.INITIAL,
        parentRunId: null,
        idea: input.idea,
        extraContext: input.extraContext ?? null,
        editNotes: null,
        addressedIssues: [],
      },
      input.idempotencyKey ?? null,
      tenantId,
    );
  }

  /** A REVISION run of a finished run: the next proposal version, compared with the parent's on completion. */
  async revise(runId: string, input: ReviseReviewInput, tenantId: string): Promise<ReviewRun> {
    const parent = await this.get(runId, tenantId);
    if (LIVE_REVIEW_STATUSES.includes(parent.status))
      throw new BadUserInputError(
        `run ${runId} is still ${parent.status}; revise it once it has COMPLETED, FAILED or been CANCELLED`,
      );
    if (input.idea !== undefined && input.idea !== null && input.idea.trim() === '')
      throw new BadUserInputError('idea is blank; omit it to keep the parent’s idea');
    if (!input.idea && !input.editNotes?.trim() && input.addressedIssues.length === 0)
      throw new BadUserInputError('a revision needs a new idea, editNotes or addressedIssues');
    return this.create(
      {
        runType: ReviewRunType.REVISION,
        parentRunId: parent.id,
        idea: input.idea ?? parent.idea,
        extraContext: parent.extraContext,
        editNotes: input.editNotes ?? null,
        addressedIssues: input.addressedIssues,
      },
      input.idempotencyKey ?? null,
      tenantId,
    );
  }

  private async create(
    request: Pick<
      CreateReview,
      'runType' | 'parentRunId' | 'idea' | 'extraContext' | 'editNotes' | 'addressedIssues'
    >,
    idempotencyKey: string | null,
    tenantId: string,
  ): Promise<ReviewRun> {
    const payload: CreateReview = {
      ...request,
      // A keyed run has one id however often it is asked for, stored or spooled.
      id: idempotencyKey ? nameUuid(`review-run:${tenantId}:${idempotencyKey}`) : randomUUID(),
      tenantId,
      idempotencyKey,
      model: this.deps.model,
      temperature: this.deps.temperature,
      personaSetVersion: this.deps.personas.version,
      traceId: trace.getActiveSpan()?.spanContext().traceId ?? null,
      createdAt: new Date().toISOString(),
    };
    const saved = await this.deps.writer.persist(createReviewWrite, payload).catch((error) => {
      if (error instanceof IdempotencyConflictError)
        throw new BadUserInputError(
          'idempotencyKey was already used for a different request; use a new key for a new run',
        );
      throw error;
    });
    if (saved.status === 'DEAD_LETTERED') throw saved.error;
    if (saved.status === 'SPOOLED') return Object.assign(new ReviewRun(), newReviewColumns(payload));
    const run = saved.result;
    if (run.status === 'QUEUED') await this.deps.enqueue(run.id, run.attempt);
    return run;
  }

  /** Works while QUEUED or RUNNING; a running attempt stops at its next step. */
  async cancel(id: string, tenantId: string): Promise<ReviewRun> {
    for (let tries = 0; tries < 3; tries++) {
      const run = await this.get(id, tenantId);
      if (!LIVE_REVIEW_STATUSES.includes(run.status))
        throw new BadUserInputError(
          `run ${id} is already ${run.status}; only QUEUED or RUNNING runs can be cancelled`,
        );
      if (await this.deps.lifecycle.cancel(run)) return this.get(id, tenantId);
    }
    throw new AppError('CONFLICT', `run ${id} kept changing; try again`, true);
  }

  async get(id: string, tenantId: string): Promise<ReviewRun> {
    const run = await this.find(id, tenantId);
    if (!run) throw new NotFoundError('review run', id);
    return run;
  }

  /** The tenant's run, or null: another tenant's id answers exactly as an unknown one. */
  find(id: string, tenantId: string): Promise<ReviewRun | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.deps.orm.em.fork().findOne(ReviewRun, { id, tenantId });
  }

  list(
    filter: ReviewRunFilter,
    first: number | null | undefined,
    after: string | null | undefined,
    tenantId: string,
  ) {
    const where: FilterQuery<ReviewRun> = { tenantId };
    if (filter.status?.length) where.status = { $in: filter.status };
    if (filter.decision) where.decisionLabel = filter.decision;
    if (filter.runType) where.runType = filter.runType;
    if (filter.since) where.createdAt = { $gte: filter.since };
    return paginate(this.deps.orm.em.fork(), ReviewRun, where, { first, after });
  }

  /** The runs that revise this one, oldest first. */
  revisions(run: ReviewRun): Promise<ReviewRun[]> {
    return this.deps.orm.em
      .fork()
      .find(ReviewRun, { parentRunId: run.id, tenantId: run.tenantId }, { orderBy: { createdAt: 'asc' } });
  }

  /** The persona reviews in the persona set's order. */
  async personaReviews(runId: string): Promise<PersonaReview[]> {
    const order = this.deps.personas.personas.map((p) => p.id);
    const reviews = await this.reviews.load(runId);
    return reviews.sort((a, b) => order.indexOf(a.personaId) - order.indexOf(b.personaId));
  }

  async proposal(runId: string): Promise<ProposalVersion | null> {
    return (await this.proposals.load(runId))[0] ?? null;
  }

  async decision(runId: string): Promise<Decision | null> {
    return (await this.decisions.load(runId))[0] ?? null;
  }
}
