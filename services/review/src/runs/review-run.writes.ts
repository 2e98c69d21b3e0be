import { createHash } from 'node:crypto';
import type { WriteDefinition } from '@assay/kit';
import { ReviewRun, ReviewRunType, ReviewStatus } from './review-run.entity.ts';

/** A new review run, as the client asked for it. */
export interface CreateReview {
  id: string;
  tenantId: string;
  idempotencyKey: string | null;
  runType: ReviewRunType;
  parentRunId: string | null;
  idea: string;
  extraContext: string | null;
  editNotes: string | null;
  addressedIssues: string[];
  model: string;
  temperature: number | null;
  personaSetVersion: string;
  traceId: string | null;
  createdAt: string;
}

/** A new run's columns from its request: what is stored, and what a spooled run answers with. */
export function newReviewColumns(p: CreateReview) {
  const at = new Date(p.createdAt);
  return { ...p, status: ReviewStatus.QUEUED, createdAt: at, updatedAt: at };
}

/** What identifies a request: the same key with the same content is the same run. */
function requested(
  p: Omit<CreateReview, 'id' | 'traceId' | 'createdAt' | 'model' | 'temperature' | 'personaSetVersion'>,
) {
  return {
    tenantId: p.tenantId,
    idempotencyKey: p.idempotencyKey,
    runType: p.runType,
    parentRunId: p.parentRunId,
    ideaSha256: createHash('sha256').update(p.idea).digest('hex'),
    extraContext: p.extraContext,
    editNotes: p.editNotes,
    addressedIssues: p.addressedIssues,
  };
}

export const createReviewWrite: WriteDefinition<CreateReview, ReviewRun> = {
  name: 'review.run.create',
  key: (p) => (p.idempotencyKey ? `${p.tenantId}:${p.idempotencyKey}` : p.id),
  tenant: (p) => ({ tenantId: p.tenantId }),
  // A run's transitions wait behind its creation while that is still spooled.
  orderKey: (p) => p.id,
  content: requested,
  async write(em, p, hash) {
    await em
      .createQueryBuilder(ReviewRun)
      .insert({ ...newReviewColumns(p), contentHash: hash, heartbeatAt: new Date(p.createdAt) })
      .onConflict(p.idempotencyKey ? ['tenantId', 'idempotencyKey'] : ['id'])
      .ignore()
      .execute();
  },
  async readBack(em, p) {
    const where = p.idempotencyKey
      ? { tenantId: p.tenantId, idempotencyKey: p.idempotencyKey }
      : { id: p.id };
    const run = await em.findOne(ReviewRun, where);
    if (!run) return null;
    return {
      result: run,
      content: requested({ ...run, addressedIssues: run.addressedIssues ?? [] }),
      hash: run.contentHash ?? '',
    };
  },
};
