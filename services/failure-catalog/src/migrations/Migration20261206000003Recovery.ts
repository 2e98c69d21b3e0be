import { Migration } from '@mikro-orm/migrations';

/**
 * The recovery history of a failure (append-only: PostgreSQL refuses to change or delete a row),
 * an index for every failure filter, and the partial index the automatic recovery sweep reads.
 */
export class Migration20261206000003Recovery extends Migration {
  override up(): void {
    this.addSql(`
      create table "failure_catalog"."recovery_change" (
        "id" uuid primary key,
        "tenant_id" text not null,
        "failure_id" uuid not null references "failure_catalog"."failure_match" ("id"),
        "from_status" text not null,
        "to_status" text not null,
        "note" text null,
        "changed_by" text not null,
        "changed_at" timestamptz not null
      );
      create index "recovery_change_failure_id_changed_at_index"
        on "failure_catalog"."recovery_change" ("failure_id", "changed_at");
      create function "failure_catalog"."refuse_history_change"() returns trigger language plpgsql as $$
        begin raise exception 'recovery history is append-only'; end $$;
      create trigger "recovery_change_append_only" before update or delete on "failure_catalog"."recovery_change"
        for each row execute function "failure_catalog"."refuse_history_change"();

      create index "failure_match_service_index"
        on "failure_catalog"."failure_match" ("tenant_id", "service", "created_at" desc, "id" desc);
      create index "failure_match_error_code_index"
        on "failure_catalog"."failure_match" ("tenant_id", "error_code", "created_at" desc, "id" desc);
      create index "failure_match_category_index"
        on "failure_catalog"."failure_match" ("tenant_id", "category", "created_at" desc, "id" desc);
      create index "failure_match_severity_index"
        on "failure_catalog"."failure_match" ("tenant_id", "severity", "created_at" desc, "id" desc);
      create index "failure_match_match_type_index"
        on "failure_catalog"."failure_match" ("tenant_id", "match_type", "created_at" desc, "id" desc);
      create index "failure_match_recovery_status_index"
        on "failure_catalog"."failure_match" ("tenant_id", "recovery_status", "created_at" desc, "id" desc);
      create index "failure_match_awaiting_recovery_index"
        on "failure_catalog"."failure_match" ("service", "run_id")
        where "recovery_status" = 'UNRECOVERED' and "retryable" and "run_id" is not null;
    `);
  }
}
