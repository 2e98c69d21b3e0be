import {
  BadUserInputError,
  type EntityManager,
  isUuid,
  type MikroORM,
  NotFoundError,
  paginate,
} from '@assay/kit';
import { meter } from '@assay/kit/telemetry';
import { RecoveryStatus } from '../failures/failure-match.entity.ts';
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

/** Statuses a person may set; REGRESSED only ever comes from a new occurrence. */
const SETTABLE = [RecoveryStatus.UNRECOVERED, RecoveryStatus.RECOVERED, RecoveryStatus.IGNORED];

/** Groups failures by fingerprint, and carries a group's recovery status. */
export class GroupService {
  private readonly regressed = meter().createCounter('assay_failure_groups_regressed', {
    description: 'Failure groups marked RECOVERED or IGNORED that occurred again',
  });

  constructor(private readonly orm: MikroORM) {}

  /** Counts an occurrence into its group (created on its first), in `em`'s transaction; answers the group id. */
  async add(em: EntityManager, o: Occurrence): Promise<string> {
    const [group] = await em.execute<{ id: string; regressed: boolean }[]>(
      `insert into "failure_catalog"."failure_group" as g (id, tenant_id, fingerprint, service, error_code,
         sample_message, catalog_entry_id, count, created_at, last_seen, status)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, 1, ?, ?, 'UNRECOVERED')
       on conflict (tenant_id, fingerprint) do update set
         count = g.count + 1,
         last_seen = greatest(g.last_seen, excluded.last_seen),
         catalog_entry_id = coalesce(excluded.catalog_entry_id, g.catalog_entry_id),
         status = case when g.status in ('RECOVERED', 'IGNORED') then 'REGRESSED' else g.status end,
         regressed_by_id = case when g.status in ('RECOVERED', 'IGNORED') then ?::uuid else g.regressed_by_id end
       returning id, (regressed_by_id = ?::uuid) as regressed`,
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
    if (group!.regressed) this.regressed.add(1, { service: o.service });
    await em.execute('update "failure_catalog"."failure_match" set group_id = ? where id = ?', [
      group!.id,
      o.id,
    ]);
    return group!.id;
  }

  find(id: string, tenantId = 'default'): Promise<FailureGroup | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.orm.em.fork().findOne(FailureGroup, { id, tenantId });
  }

  list(
    filter: { status?: RecoveryStatus | null; service?: string | null; errorCode?: string | null } | null,
    first: number | null,
    after: string | null,
    tenantId = 'default',
  ) {
    const where: Record<string, unknown> = { tenantId };
    if (filter?.status) where.status = filter.status;
    if (filter?.service) where.service = filter.service;
    if (filter?.errorCode) where.errorCode = filter.errorCode;
    return paginate(this.orm.em.fork(), FailureGroup, where, { first, after });
  }

  /** Sets a group's recovery status (and every occurrence's); REGRESSED cannot be set by hand. */
  async setStatus(id: string, status: RecoveryStatus, tenantId = 'default'): Promise<FailureGroup> {
    if (!SETTABLE.includes(status))
      throw new BadUserInputError(`status ${status} cannot be set; use ${SETTABLE.join(', ')}`);
    const group = await this.find(id, tenantId);
    if (!group) throw new NotFoundError('failure group', id);
    await this.orm.em.fork().transactional(async (em) => {
      await em.nativeUpdate(FailureGroup, { id }, { status, regressedById: null });
      await em.execute(
        `update "failure_catalog"."failure_match" set recovery_status = ?,
           recovered_at = case when ? in ('RECOVERED', 'IGNORED') then now() else null end
         where group_id = ?`,
        [status, status, id],
      );
    });
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
