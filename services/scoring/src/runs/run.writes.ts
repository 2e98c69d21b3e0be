import { createHash } from 'node:crypto';
import { type EntityManager, readBackOf, type Stored, type WriteDefinition } from '@assay/kit';
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
  tenant: (p) => ({ tenantId: p.tenantId }),
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
  readBack: readBackOf(readRuns),
  readBackMany: readRuns,
};

/** The runs stored under the payloads' keys (idempotency key, or id), in their order: one query. */
async function readRuns(em: EntityManager, payloads: CreateRun[]): Promise<(Stored<ScoringRun> | null)[]> {
  const where = payloads.map((p) =>
    p.idempotencyKey ? { tenantId: p.tenantId, idempotencyKey: p.idempotencyKey } : { id: p.id },
  );
  const runs = await em.find(ScoringRun, { $or: where }, { populate: ['diff'] });
  return payloads.map((p) => {
    const run = runs.find((r) =>
      p.idempotencyKey ? r.tenantId === p.tenantId && r.idempotencyKey === p.idempotencyKey : r.id === p.id,
    );
    if (!run) return null;
    return {
      result: run,
      content: requested({ ...run, diffSha256: sha256(run.diff) }),
      hash: run.contentHash ?? '',
    };
  });
}
