import {
  AppError,
  type Caller,
  type EntityManager,
  isUuid,
  type MikroORM,
  NotFoundError,
  paginate,
  recordAudit,
} from '@assay/kit';
import type { RecoveryStatus } from '../failures/failure-match.entity.ts';
import type { FailureMetrics } from '../failures/failure-metrics.ts';
import type { RecoveryDecision, RecoveryService } from '../recovery/recovery.service.ts';
import { checkTransition } from '../recovery/recovery-rules.ts';
import { FailureGroup } from './failure-group.entity.ts';

export interface Occurrence {
  id: string;
  tenantId: string;
  fingerprint: string;
  service: string;
  errorCode: string;
  errorMessage: string | null;
  catalogEntryId: string | null;
  at: Date;
}

/** Groups failures by fingerprint, and carries a group's recovery status. */
export class GroupService {
  constructor(
    private readonly orm: MikroORM,
    private readonly recovery: RecoveryService,
    private readonly metrics: FailureMetrics,
  ) {}

  /**
   * Counts an occurrence into its group (created on its first), in `em`'s transaction; answers the
   * group, and whether this occurrence created it or made it REGRESSED.
   */
  async add(em: EntityManager, o: Occurrence): Promise<{ id: string; created: boolean; regressed: boolean }> {
    const [group] = await em.execute<{ id: string; created: boolean; regressed: boolean }[]>(
      `insert into "failure_catalog"."failure_group" as g (id, tenant_id, fingerprint, service, error_code,
         sample_message, catalog_entry_id, count, created_at, last_seen, status)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, 1, ?, ?, 'UNRECOVERED')
       on conflict (tenant_id, fingerprint) do update set
         count = g.count + 1,
         last_seen = greatest(g.last_seen, excluded.last_seen),
         catalog_entry_id = coalesce(excluded.catalog_entry_id, g.catalog_entry_id),
         status = case when g.status in ('RECOVERED', 'IGNORED') then 'REGRESSED' else g.status end,
         regressed_by_id = case when g.status in ('RECOVERED', 'IGNORED') then ?::uuid else g.regressed_by_id end
       returning id, (xmax = 0) as created, (regressed_by_id = ?::uuid) as regressed`,
      [
        o.tenantId,
        o.fingerprint,
        o.service,
        o.errorCode,
        o.errorMessage,
        o.catalogEntryId,
        o.at,
        o.at,
        o.id,
        o.id,
      ],
    );
    await em.execute('update "failure_catalog"."failure_match" set group_id = ? where id = ?', [
      group!.id,
      o.id,
    ]);
    return { id: group!.id, created: group!.created, regressed: group!.regressed === true };
  }

  find(id: string, tenantId: string): Promise<FailureGroup | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.orm.em.fork().findOne(FailureGroup, { id, tenantId });
  }

  list(
    filter: { status?: RecoveryStatus | null; service?: string | null; errorCode?: string | null } | null,
    first: number | null,
    after: string | null,
    tenantId: string,
  ) {
    const where: Record<string, unknown> = { tenantId };
    if (filter?.status) where.status = filter.status;
    if (filter?.service) where.service = filter.service;
    if (filter?.errorCode) where.errorCode = filter.errorCode;
    return paginate(this.orm.em.fork(), FailureGroup, where, { first, after });
  }

  /**
   * Sets the caller's tenant's group's recovery status and every occurrence's that can take it
   * (each change in its failure's history, the whole change in the audit log, one transaction);
   * refused with BAD_USER_INPUT when the group's status cannot go there.
   */
  async setStatus(id: string, decision: RecoveryDecision, caller: Caller): Promise<FailureGroup> {
    const tenantId = caller.tenant;
    const group = await this.find(id, tenantId);
    if (!group) throw new NotFoundError('failure group', id);
    checkTransition(`failure group ${id}`, group.status, decision.status);
    const changed = await this.orm.em.fork().transactional(async (em) => {
      const moved = await em.nativeUpdate(
        FailureGroup,
        { id, tenantId, status: group.status },
        { status: decision.status, regressedById: null },
      );
      if (moved === 0)
        throw new AppError('CONFLICT', `failure group ${id} changed meanwhile; read it and try again`, true);
      const occurrences = await this.recovery.forGroup(em, id, decision);
      recordAudit(em, caller, 'failure_group.recovery_changed', id, {
        from: group.status,
        to: decision.status,
        note: decision.note ?? null,
        by: decision.by ?? null,
        occurrences,
      });
      return occurrences;
    });
    this.metrics.recovered(decision.status, changed);
    return (await this.find(id, tenantId))!;
  }

  /** Distinct runs among a group's occurrences. */
  async runsAffected(groupId: string): Promise<number> {
    const [row] = await this.orm.em
      .fork()
      .execute<{ n: string }[]>(
        'select count(distinct run_id) as n from "failure_catalog"."failure_match" where group_id = ?',
        [groupId],
      );
    return Number(row?.n ?? 0);
  }
}
