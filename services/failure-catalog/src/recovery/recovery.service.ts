import {
  AppError,
  type Caller,
  type EntityManager,
  isUuid,
  type MikroORM,
  NotFoundError,
  recordAudit,
} from '@assay/kit';
import { classifyDbError } from '@assay/kit/operations';
import DataLoader from 'dataloader';
import { FailureMatch, RecoveryStatus } from '../failures/failure-match.entity.ts';
import type { FailureMetrics } from '../failures/failure-metrics.ts';
import { RecoveryChange } from './recovery-change.entity.ts';
import { checkTransition, statusesLeadingTo } from './recovery-rules.ts';

/**
 * How far back the automatic recovery looks (it runs every intake pass). A run succeeds within its
 * own lifetime, bounded by its attempts; failures of runs that never succeed (they ended in ERROR)
 * would otherwise be read again on every pass, for ever.
 */
const RECOVERY_WINDOW_HOURS = 24;

/** A producer's runs, read to recover the failures of runs that later succeeded (constants, never input). */
export interface RunsOf {
  service: string;
  /** `"schema"."table"` of its runs (uuid ids, a `tenant_id`: a failure is recovered by its own tenant's run only). */
  runTable: string;
  /** The status of a run that succeeded: DONE (scoring), COMPLETED (review). */
  succeeded: string;
}

export interface RecoveryDecision {
  status: RecoveryStatus;
  note?: string | null;
  by?: string | null;
}

/** Changes of recovery status, each kept in the failure's append-only history. */
export class RecoveryService {
  /** Batched across the failures of one response (and of concurrent ones: keys carry no secret). */
  private readonly histories = new DataLoader<string, RecoveryChange[]>(
    async (ids) => {
      const rows = await this.orm.em
        .fork()
        .find(RecoveryChange, { failureId: { $in: [...ids] } }, { orderBy: { changedAt: 'asc', id: 'asc' } });
      return ids.map((id) => rows.filter((r) => r.failureId === id));
    },
    { cache: false, maxBatchSize: 500 },
  );

  constructor(
    private readonly orm: MikroORM,
    private readonly metrics: FailureMetrics,
  ) {}

  history(failureId: string): Promise<RecoveryChange[]> {
    return this.histories.load(failureId);
  }

  /**
   * The recovery of one of the caller's tenant's failures, audited in the change's transaction;
   * refused with BAD_USER_INPUT when its status cannot go there. Another tenant's failure is NOT_FOUND,
   * exactly as an unknown id.
   */
  async update(id: string, decision: RecoveryDecision, caller: Caller): Promise<FailureMatch> {
    const tenantId = caller.tenant;
    const em = this.orm.em.fork();
    const failure = isUuid(id) ? await em.findOne(FailureMatch, { id, tenantId }) : null;
    if (!failure) throw new NotFoundError('failure', id);
    const from = failure.recoveryStatus;
    checkTransition(`failure ${id}`, from, decision.status);
    const changed = await em.transactional(async (tx) => {
      const n = await this.change(
        tx,
        'f.id = ? and f.tenant_id = ? and f.recovery_status = ?',
        [id, tenantId, from],
        decision,
      );
      // Another change (or a new match) got there first: the caller decides again on what is there now.
      if (n === 0)
        throw new AppError('CONFLICT', `failure ${id} changed meanwhile; read it and try again`, true);
      recordAudit(tx, caller, 'failure.recovery_changed', id, {
        from,
        to: decision.status,
        note: decision.note ?? null,
        by: decision.by ?? null,
      });
      return n;
    });
    this.metrics.recovered(decision.status, changed);
    return (await this.orm.em.fork().findOne(FailureMatch, { id, tenantId }))!;
  }

  /** Every occurrence of a group that can take the decision, in `em`'s transaction (count it after commit). */
  forGroup(em: EntityManager, groupId: string, decision: RecoveryDecision): Promise<number> {
    const from = statusesLeadingTo(decision.status);
    return this.change(em, 'f.group_id = ? and f.recovery_status in (?)', [groupId, from], decision);
  }

  /**
   * The seed's "recovery attempted / succeeded", made automatic: retryable failures of runs that
   * have since succeeded become RECOVERED by `system`. Answers how many.
   */
  async recoverSucceededRuns(producers: readonly RunsOf[]): Promise<number> {
    let recovered = 0;
    for (const p of producers) {
      const n = await this.orm.em
        .fork()
        .transactional((em) =>
          this.change(
            em,
            `f.service = ? and f.recovery_status = 'UNRECOVERED' and f.retryable and f.run_id is not null
           and f.created_at > now() - interval '${RECOVERY_WINDOW_HOURS} hours'
           and exists (select 1 from ${p.runTable} r where r.status = ? and r.tenant_id = f.tenant_id
             and r.id = case when f.run_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                        then f.run_id::uuid end)`,
            [p.service, p.succeeded],
            { status: RecoveryStatus.RECOVERED, by: 'system', note: `the run reached ${p.succeeded}` },
            1000, // per pass; the next pass takes the rest
          ),
        )
        // The producer is not deployed (or not migrated) yet: it has no runs to look at.
        .catch((error) => (classifyDbError(error).code === '42P01' ? 0 : Promise.reject(error)));
      this.metrics.recovered(RecoveryStatus.RECOVERED, n);
      recovered += n;
    }
    return recovered;
  }

  /**
   * Sets the status of the failures `condition` selects (a fragment of constants, its values bound)
   * and appends one history row per failure changed, in one statement.
   */
  private async change(
    em: EntityManager,
    condition: string,
    params: unknown[],
    decision: RecoveryDecision,
    limit?: number,
  ): Promise<number> {
    const to = decision.status;
    const by = decision.by ?? 'anonymous';
    const note = decision.note ?? null;
    const done = to === RecoveryStatus.RECOVERED || to === RecoveryStatus.IGNORED;
    const rows = await em.execute<{ failure_id: string }[]>(
      `with picked as (
         select f.id, f.recovery_status as old from "failure_catalog"."failure_match" f
         where ${condition} ${limit ? `limit ${Math.trunc(limit)} for update of f skip locked` : 'for update of f'}),
       changed as (
         update "failure_catalog"."failure_match" f set recovery_status = ?,
           recovered_at = case when ? then now() else null end,
           recovered_by = case when ? then ? else null end,
           recovery_notes = ?
         from picked where f.id = picked.id
         returning f.id, f.tenant_id, picked.old)
       insert into "failure_catalog"."recovery_change"
         (id, tenant_id, failure_id, from_status, to_status, note, changed_by, changed_at)
       select gen_random_uuid(), tenant_id, id, old, ?, ?, ?, now() from changed
       returning failure_id`,
      [...params, to, done, done, by, note, to, note, by],
    );
    return rows.length;
  }
}
