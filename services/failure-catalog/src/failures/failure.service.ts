import { createHash, randomUUID } from 'node:crypto';
import { BadUserInputError, type EntityManager, isUuid, type MikroORM, paginate } from '@assay/kit';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { GroupService } from '../groups/group.service.ts';
import type { FailureFilter } from './failure.inputs.ts';
import { FailureMatch } from './failure-match.entity.ts';

/** A failure as it arrives: from a producer's outbox (with its id), or recorded here directly. */
export interface FailureReport {
  id?: string;
  tenantId?: string;
  runId?: string | null;
  service: string;
  errorCode: string;
  errorMessage?: string | null;
  retryable?: boolean | null;
  stage?: string | null;
  context?: Record<string, unknown> | null;
  traceId?: string | null;
  occurredAt?: Date | null;
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
    private readonly groups: GroupService,
  ) {}

  /**
   * Matches a failure against the catalog and stores it, once by its id (a failure delivered again
   * changes nothing), in `em`'s transaction when given. Answers whether it was new.
   */
  async record(report: FailureReport, em?: EntityManager): Promise<boolean> {
    if (!em) return this.orm.em.fork().transactional((tx) => this.record(report, tx));
    const tenantId = report.tenantId ?? 'default';
    const id = report.id ?? randomUUID();
    const print = fingerprint(report.service, report.errorCode, report.errorMessage);
    const at = report.occurredAt ?? new Date();
    const match = (await this.catalog.matcher(tenantId))(report.errorCode, report.errorMessage ?? null);
    const entry = match.entry;
    const inserted = await em.execute<{ id: string }[]>(
      `insert into "failure_catalog"."failure_match" (id, tenant_id, run_id, service, error_code, error_message,
         fingerprint, catalog_entry_id, match_type, match_confidence, category, severity, retryable, recovery_mode,
         recovery_suggestion, stage, context, trace_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
       on conflict (id) do nothing returning id`,
      [
        id,
        tenantId,
        report.runId ?? null,
        report.service,
        report.errorCode,
        report.errorMessage ?? null,
        print,
        entry?.id ?? null,
        match.type,
        match.confidence,
        entry?.category ?? null,
        entry?.severity ?? null,
        report.retryable ?? entry?.retryable ?? false,
        entry?.recoveryMode ?? null,
        entry?.recoverySuggestion ?? null,
        report.stage ?? null,
        report.context ? JSON.stringify(report.context) : null,
        report.traceId ?? null,
        at,
      ],
    );
    if (inserted.length === 0) return false; // delivered before
    await this.groups.add(em, {
      id,
      tenantId,
      fingerprint: print,
      service: report.service,
      errorCode: report.errorCode,
      errorMessage: report.errorMessage ?? null,
      catalogEntryId: entry?.id ?? null,
      at,
    });
    return true;
  }

  /** Matches the failures of the last `sinceHours` again (after the catalog changed); answers how many changed. */
  async rematch(sinceHours: number, tenantId = 'default'): Promise<number> {
    if (!Number.isInteger(sinceHours) || sinceHours < 1 || sinceHours > 24 * 90)
      throw new BadUserInputError('sinceHours must be a whole number of hours between 1 and 2160');
    const matcher = await this.catalog.matcher(tenantId);
    const em = this.orm.em.fork();
    const failures = await em.find(
      FailureMatch,
      { tenantId, createdAt: { $gt: new Date(Date.now() - sinceHours * 3_600_000) } },
      { limit: 50_000 },
    );
    let changed = 0;
    for (const failure of failures) {
      const { entry, type, confidence } = matcher(failure.errorCode, failure.errorMessage);
      if (failure.catalogEntryId === (entry?.id ?? null) && failure.matchType === type) continue;
      Object.assign(failure, {
        catalogEntryId: entry?.id ?? null,
        matchType: type,
        matchConfidence: confidence,
        category: entry?.category ?? null,
        severity: entry?.severity ?? null,
        recoveryMode: entry?.recoveryMode ?? null,
        recoverySuggestion: entry?.recoverySuggestion ?? null,
      });
      changed++;
    }
    await em.flush();
    return changed;
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
