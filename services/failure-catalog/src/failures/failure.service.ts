import { createHash, randomUUID } from 'node:crypto';
import {
  BadUserInputError,
  type Caller,
  type EntityManager,
  isUuid,
  type MikroORM,
  paginate,
  recordAudit,
} from '@assay/kit';
import DataLoader from 'dataloader';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { Severity } from '../catalog/catalog-entry.entity.ts';
import { FailureGroup } from '../groups/failure-group.entity.ts';
import type { GroupService } from '../groups/group.service.ts';
import type { FailureFilter } from './failure.inputs.ts';
import { FailureMatch, type MatchType, RecoveryStatus } from './failure-match.entity.ts';
import type { FailureStats } from './failure-stats.ts';

/** A failure as it arrives: from a producer's outbox (with its id), or recorded here directly. */
export interface FailureReport {
  id?: string;
  /** Whose failure it is: the tenant of the outbox row it came from. */
  tenantId: string;
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

/** What was stored of a new failure: for its metrics and its live feed, after the commit. */
export interface RecordedFailure {
  id: string;
  tenantId: string;
  runId: string | null;
  service: string;
  errorCode: string;
  category: string | null;
  severity: Severity | null;
  matchType: MatchType;
  occurredAt: Date;
  /** Its occurrence opened a new group, or made a RECOVERED/IGNORED one REGRESSED. */
  groupCreated: boolean;
  groupRegressed: boolean;
}

/** The widest window of `failureStats` and `rematchFailures`: 90 days. */
const MAX_HOURS = 24 * 90;

function checkHours(sinceHours: number): void {
  if (!Number.isInteger(sinceHours) || sinceHours < 1 || sinceHours > MAX_HOURS)
    throw new BadUserInputError(`sinceHours must be a whole number of hours between 1 and ${MAX_HOURS}`);
}

/** Records failures, matched against the catalog, and lists them. */
export class FailureService {
  /** A run's failures, batched across the runs of one response: one query for a page of runs. */
  private readonly byRun = new DataLoader<string, FailureMatch[]>(
    async (keys) => {
      const byTenant = new Map<string, string[]>();
      for (const key of keys) {
        const [tenantId, runId] = key.split('\u0000') as [string, string];
        byTenant.set(tenantId, [...(byTenant.get(tenantId) ?? []), runId]);
      }
      const rows: FailureMatch[] = [];
      for (const [tenantId, runIds] of byTenant) {
        rows.push(
          ...(await this.orm.em
            .fork()
            .find(
              FailureMatch,
              { tenantId, runId: { $in: runIds } },
              { orderBy: { createdAt: 'asc', id: 'asc' } },
            )),
        );
      }
      const byKey = new Map<string, FailureMatch[]>();
      for (const r of rows) {
        const key = `${r.tenantId}\u0000${r.runId}`;
        byKey.set(key, [...(byKey.get(key) ?? []), r]);
      }
      return keys.map((key) => byKey.get(key) ?? []);
    },
    // No cache: a later request must see failures recorded since; keys carry the tenant.
    { cache: false, maxBatchSize: 500 },
  );

  constructor(
    private readonly orm: MikroORM,
    private readonly catalog: CatalogService,
    private readonly groups: GroupService,
  ) {}

  /**
   * Matches a failure against the catalog and stores it, once by its id (a failure delivered again
   * changes nothing), in `em`'s transaction when given. Answers what was stored, or null when it
   * was delivered before.
   */
  async record(report: FailureReport, em?: EntityManager): Promise<RecordedFailure | null> {
    if (!em) return this.orm.em.fork().transactional((tx) => this.record(report, tx));
    const { tenantId } = report;
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
    if (inserted.length === 0) return null; // delivered before
    const group = await this.groups.add(em, {
      id,
      tenantId,
      fingerprint: print,
      service: report.service,
      errorCode: report.errorCode,
      errorMessage: report.errorMessage ?? null,
      catalogEntryId: entry?.id ?? null,
      at,
    });
    return {
      id,
      tenantId,
      runId: report.runId ?? null,
      service: report.service,
      errorCode: report.errorCode,
      category: entry?.category ?? null,
      severity: entry?.severity ?? null,
      matchType: match.type as MatchType,
      occurredAt: at,
      groupCreated: group.created,
      groupRegressed: group.regressed,
    };
  }

  /**
   * Matches the caller's tenant's failures of the last `sinceHours` again (after its catalog
   * changed), audited in the same transaction; answers how many changed.
   */
  async rematch(sinceHours: number, caller: Caller): Promise<number> {
    checkHours(sinceHours);
    const tenantId = caller.tenant;
    const matcher = await this.catalog.matcher(tenantId);
    return this.orm.em.fork().transactional(async (em) => {
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
      recordAudit(em, caller, 'catalog.rematched', 'failures', { sinceHours, changed });
      return changed; // the changes and the audit row are flushed when the transaction commits
    });
  }

  find(id: string, tenantId: string): Promise<FailureMatch | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.orm.em.fork().findOne(FailureMatch, { id, tenantId });
  }

  forRun(runId: string, tenantId: string): Promise<FailureMatch[]> {
    return this.byRun.load(`${tenantId}\u0000${runId}`);
  }

  list(filter: FailureFilter | null, first: number | null, after: string | null, tenantId: string) {
    const where: Record<string, unknown> = { tenantId };
    const f = filter ?? {};
    for (const key of [
      'runId',
      'service',
      'errorCode',
      'category',
      'severity',
      'matchType',
      'recoveryStatus',
    ] as const)
      if (f[key]) where[key] = f[key];
    if (f.since && f.until && f.since >= f.until)
      throw new BadUserInputError('filter.since must be before filter.until');
    if (f.since || f.until)
      where.createdAt = { ...(f.since ? { $gte: f.since } : {}), ...(f.until ? { $lt: f.until } : {}) };
    return paginate(this.orm.em.fork(), FailureMatch, where, { first, after });
  }

  /** Failures nobody has recovered or ignored yet, newest first. */
  unrecovered(category: string | null, first: number | null, after: string | null, tenantId: string) {
    if (category && category.length > 100) throw new BadUserInputError('category is at most 100 characters');
    return this.list({ category, recoveryStatus: RecoveryStatus.UNRECOVERED }, first, after, tenantId);
  }

  /** Totals, rates and the most frequent codes, categories and groups of the last `sinceHours`. */
  async stats(sinceHours: number, tenantId: string): Promise<FailureStats> {
    checkHours(sinceHours);
    const em = this.orm.em.fork();
    const since = new Date(Date.now() - sinceHours * 3_600_000);
    const window = `from "failure_catalog"."failure_match" where tenant_id = ? and created_at >= ?`;
    const [totals] = await em.execute<
      { total: string; matched: string; recovered: string; mttr: number | null }[]
    >(
      `select count(*) as total, count(*) filter (where match_type <> 'NONE') as matched,
         count(*) filter (where recovery_status = 'RECOVERED') as recovered,
         avg(extract(epoch from recovered_at - created_at)) filter (where recovery_status = 'RECOVERED') as mttr
       ${window}`,
      [tenantId, since],
    );
    const top = (column: string) =>
      em.execute<{ key: string; count: string }[]>(
        `select ${column} as key, count(*) as count ${window} group by 1 order by 2 desc, 1 limit 5`,
        [tenantId, since],
      );
    const [codes, categories, groupCounts] = await Promise.all([
      top('error_code'),
      top("coalesce(category, 'uncatalogued')"),
      top('group_id'),
    ]);
    const groups = await em.find(FailureGroup, {
      tenantId,
      id: { $in: groupCounts.map((g) => g.key).filter(Boolean) },
    });
    const total = Number(totals!.total);
    const rate = (n: number) => (total === 0 ? 0 : n / total);
    return {
      sinceHours,
      total,
      matched: Number(totals!.matched),
      matchRate: rate(Number(totals!.matched)),
      recovered: Number(totals!.recovered),
      recoveryRate: rate(Number(totals!.recovered)),
      meanTimeToRecoverySeconds: totals!.mttr === null ? null : Number(totals!.mttr),
      topCodes: codes.map((c) => ({ key: c.key, count: Number(c.count) })),
      topCategories: categories.map((c) => ({ key: c.key, count: Number(c.count) })),
      topGroups: groupCounts.flatMap((c) => {
        const group = groups.find((g) => g.id === c.key);
        return group ? [{ group, count: Number(c.count) }] : [];
      }),
    };
  }
}
