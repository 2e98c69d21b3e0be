import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000000 extends Migration {
  override up(): void {
    this.addSql(`
      create table "scoring"."scoring_run" (
        "id" uuid primary key,
        "tenant_id" text not null default 'default',
        "status" text not null check ("status" in ('QUEUED','RUNNING','SCORING','DONE','ERROR','CANCELLED')),
        "progress_step" text null,
        "progress_pct" smallint not null default 0 check ("progress_pct" between 0 and 100),
        "attempt" integer not null default 0,
        "repository" text not null,
        "pr_number" integer null,
        "title" text null,
        "diff" text not null,
        "diff_bytes" integer not null,
        "scorer" text not null check ("scorer" in ('RULES','LLM')),
        "idempotency_key" text null,
        "persistence" text not null default 'PENDING',
        "trace_id" text null,
        "created_at" timestamptz not null,
        "started_at" timestamptz null,
        "finished_at" timestamptz null,
        "updated_at" timestamptz not null
      );
      create unique index "scoring_run_tenant_id_idempotency_key_unique"
        on "scoring"."scoring_run" ("tenant_id", "idempotency_key");
      create index "scoring_run_tenant_id_created_at_id_index"
        on "scoring"."scoring_run" ("tenant_id", "created_at" desc, "id" desc);
    `);
  }
}
