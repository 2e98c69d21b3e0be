import { BadUserInputError, isUuid, type MikroORM, NotFoundError, paginate } from '@assay/kit';
import { trace } from '@opentelemetry/api';
import { ScoringRun } from './run.entity.ts';
import type { StartScoringRunInput } from './run.inputs.ts';

export interface RunServiceOptions {
  maxDiffBytes: number;
}

/** Owns scoring runs: validation beyond the schema, idempotent creation, reads. */
export class RunService {
  constructor(
    private readonly orm: MikroORM,
    private readonly options: RunServiceOptions,
  ) {}

  async start(input: StartScoringRunInput, tenantId = 'default'): Promise<ScoringRun> {
    const diffBytes = Buffer.byteLength(input.subject.diff, 'utf8');
    if (input.subject.diff.trim() === '')
      throw new BadUserInputError('subject.diff is empty; send a unified diff');
    if (diffBytes > this.options.maxDiffBytes) {
      throw new BadUserInputError(
        `subject.diff is ${diffBytes} bytes; the limit is ${this.options.maxDiffBytes} (ASSAY_MAX_DIFF_BYTES)`,
      );
    }
    const em = this.orm.em.fork();
    if (input.idempotencyKey) {
      const existing = await em.findOne(ScoringRun, { tenantId, idempotencyKey: input.idempotencyKey });
      if (existing) return existing;
    }
    const run = em.create(ScoringRun, {
      tenantId,
      repository: input.subject.repository,
      prNumber: input.subject.prNumber ?? null,
      title: input.subject.title ?? null,
      diff: input.subject.diff,
      diffBytes,
      scorer: input.scorer,
      idempotencyKey: input.idempotencyKey ?? null,
      traceId: trace.getActiveSpan()?.spanContext().traceId ?? null,
    });
    await em.flush();
    return run;
  }

  async get(id: string, tenantId = 'default'): Promise<ScoringRun> {
    const run = await this.find(id, tenantId);
    if (!run) throw new NotFoundError('scoring run', id);
    return run;
  }

  find(id: string, tenantId = 'default'): Promise<ScoringRun | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.orm.em.fork().findOne(ScoringRun, { id, tenantId });
  }

  list(first: number | null | undefined, after: string | null | undefined, tenantId = 'default') {
    return paginate(this.orm.em.fork(), ScoringRun, { tenantId }, { first, after });
  }
}
