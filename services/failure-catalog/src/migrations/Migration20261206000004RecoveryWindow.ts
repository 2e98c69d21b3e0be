import { Migration } from '@mikro-orm/migrations';

/**
 * The automatic recovery reads only the last day's awaiting failures: its partial index is keyed
 * by time, so a pass reads that day, not every retryable failure whose run never succeeded.
 */
export class Migration20261206000004RecoveryWindow extends Migration {
  override up(): void {
    this.addSql(`
      drop index "failure_catalog"."failure_match_awaiting_recovery_index";
      create index "failure_match_awaiting_recovery_index"
        on "failure_catalog"."failure_match" ("service", "created_at")
        where "recovery_status" = 'UNRECOVERED' and "retryable" and "run_id" is not null;
    `);
  }
}
