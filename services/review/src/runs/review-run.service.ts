import { BadUserInputError, isUuid, type MikroORM, paginate } from '@assay/kit';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { trace } from '@opentelemetry/api';
import { ReviewRun } from './review-run.entity.ts';
import type { StartReviewInput } from './review-run.inputs.ts';

/** Owns review runs: idempotent creation and reads. */
export class ReviewRunService {
  constructor(private readonly orm: MikroORM) {}

  async start(input: StartReviewInput, tenantId = 'default'): Promise<ReviewRun> {
    if (input.idea.trim() === '')
      throw new BadUserInputError('idea is blank; describe the proposal to review');
    const em = this.orm.em.fork();
    if (input.idempotencyKey) {
      const existing = await em.findOne(ReviewRun, { tenantId, idempotencyKey: input.idempotencyKey });
      if (existing) return existing;
    }
    const run = em.create(ReviewRun, {
      tenantId,
      idea: input.idea,
      extraContext: input.extraContext ?? null,
      idempotencyKey: input.idempotencyKey ?? null,
      traceId: trace.getActiveSpan()?.spanContext().traceId ?? null,
    });
    try {
      await em.flush();
    } catch (error) {
      // Two requests with one key raced: the other stored it first, and that is the answer.
      if (!(error instanceof UniqueConstraintViolationException) || !input.idempotencyKey) throw error;
      const stored = await this.orm.em
        .fork()
        .findOne(ReviewRun, { tenantId, idempotencyKey: input.idempotencyKey });
      if (!stored) throw error;
      return stored;
    }
    return run;
  }

  find(id: string, tenantId = 'default'): Promise<ReviewRun | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.orm.em.fork().findOne(ReviewRun, { id, tenantId });
  }

  list(first: number | null | undefined, after: string | null | undefined, tenantId = 'default') {
    return paginate(this.orm.em.fork(), ReviewRun, { tenantId }, { first, after });
  }
}
