import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000000 extends Migration {
  override up(): void {
    this.addSql(`
      create table "review"."review_run" (
        "id" uuid primary key,
        "tenant_id" text not null default 'default',
        "status" text not null check ("status" in ('RUNNING','COMPLETED','FAILED')),
        "run_type" text not null check ("run_type" in ('INITIAL','REVISION')),
        "parent_run_id" uuid null references "review"."review_run" ("id"),
        "idea" text not null,
        "extra_context" text null,
        "model" text not null,
        "progress_pct" smallint not null default 0 check ("progress_pct" between 0 and 100),
        "idempotency_key" text null,
        "trace_id" text null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null
      );
      create unique index "review_run_tenant_id_idempotency_key_unique"
        on "review"."review_run" ("tenant_id", "idempotency_key");
      create index "review_run_tenant_id_created_at_id_index"
        on "review"."review_run" ("tenant_id", "created_at" desc, "id" desc);
    `);
  }
}
