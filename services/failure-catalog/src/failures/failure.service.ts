import { createHash } from 'node:crypto';
import { isUuid, type MikroORM, paginate } from '@assay/kit';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { FailureFilter } from './failure.inputs.ts';
import { FailureMatch, MatchType } from './failure-match.entity.ts';

export interface FailureReport {
  runId?: string | null;
  service: string;
  errorCode: string;
  errorMessage?: string | null;
  stage?: string | null;
  context?: Record<string, unknown> | null;
  traceId?: string | null;
}

/** Ids, numbers and hex vanish so the same failure on another run has the same fingerprint. */
export function fingerprint(service: string, errorCode: string, message: string | null | undefined): string {
  const normalised = (message ?? '')
    .toLowerCase()
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')
    .replace(/\b0x[0-9a-f]+\b|\d+/g, '<n>')
    .trim();
  return createHash('sha256')
    .update(`${service}\u0000${errorCode}\u0000${normalised}`)
    .digest('hex')
    .slice(0, 32);
}

/** Records failures, matched against the catalog, and lists them. */
export class FailureService {
  constructor(
    private readonly orm: MikroORM,
    private readonly catalog: CatalogService,
  ) {}

  async record(report: FailureReport, tenantId = 'default'): Promise<FailureMatch> {
    const entry = await this.catalog.findByCode(report.errorCode, tenantId);
    const em = this.orm.em.fork();
    const failure = em.create(FailureMatch, {
      tenantId,
      runId: report.runId ?? null,
      service: report.service,
      errorCode: report.errorCode,
      errorMessage: report.errorMessage ?? null,
      fingerprint: fingerprint(report.service, report.errorCode, report.errorMessage),
      stage: report.stage ?? null,
      context: report.context ?? null,
      traceId: report.traceId ?? null,
      catalogEntryId: entry?.id ?? null,
      matchType: entry ? MatchType.EXACT : MatchType.NONE,
      matchConfidence: entry ? 1 : 0,
      category: entry?.category ?? null,
      severity: entry?.severity ?? null,
      retryable: entry?.retryable ?? false,
      recoveryMode: entry?.recoveryMode ?? null,
      recoverySuggestion: entry?.recoverySuggestion ?? null,
    });
    await em.flush();
    return failure;
  }

  find(id: string, tenantId = 'default'): Promise<FailureMatch | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.orm.em.fork().findOne(FailureMatch, { id, tenantId });
  }

  forRun(runId: string, tenantId = 'default'): Promise<FailureMatch[]> {
    return this.orm.em.fork().find(FailureMatch, { tenantId, runId }, { orderBy: { createdAt: 'asc' } });
  }

  list(filter: FailureFilter | null, first: number | null, after: string | null, tenantId = 'default') {
    const where: Record<string, unknown> = { tenantId };
    if (filter?.runId) where.runId = filter.runId;
    if (filter?.service) where.service = filter.service;
    if (filter?.errorCode) where.errorCode = filter.errorCode;
    if (filter?.recoveryStatus) where.recoveryStatus = filter.recoveryStatus;
    return paginate(this.orm.em.fork(), FailureMatch, where, { first, after });
  }
}
