import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000000 extends Migration {
  override up(): void {
    this.addSql(`
      create table "failure_catalog"."catalog_entry" (
        "id" uuid primary key,
        "tenant_id" text not null default 'default',
        "error_code" text not null,
        "title" text not null,
        "category" text not null,
        "severity" text not null check ("severity" in ('LOW','MEDIUM','HIGH','CRITICAL')),
        "retryable" boolean not null default false,
        "recovery_mode" text null,
        "recovery_suggestion" text null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null
      );
      create unique index "catalog_entry_tenant_id_error_code_unique"
        on "failure_catalog"."catalog_entry" ("tenant_id", "error_code");

      create table "failure_catalog"."failure_match" (
        "id" uuid primary key,
        "tenant_id" text not null default 'default',
        "run_id" text null,
        "service" text not null,
        "error_code" text not null,
        "error_message" text null,
        "fingerprint" text not null,
        "catalog_entry_id" uuid null references "failure_catalog"."catalog_entry" ("id") on delete set null,
        "match_type" text not null check ("match_type" in ('EXACT','PREFIX','PATTERN','KEYWORD','NONE')),
        "match_confidence" double precision not null default 0,
        "category" text null,
        "severity" text null,
        "retryable" boolean not null default false,
        "recovery_mode" text null,
        "recovery_suggestion" text null,
        "recovery_status" text not null default 'UNRECOVERED'
          check ("recovery_status" in ('UNRECOVERED','RECOVERED','IGNORED','REGRESSED')),
        "recovered_at" timestamptz null,
        "recovered_by" text null,
        "recovery_notes" text null,
        "stage" text null,
        "context" jsonb null,
        "trace_id" text null,
        "created_at" timestamptz not null
      );
      create index "failure_match_tenant_id_run_id_index" on "failure_catalog"."failure_match" ("tenant_id", "run_id");
      create index "failure_match_tenant_id_created_at_id_index"
        on "failure_catalog"."failure_match" ("tenant_id", "created_at" desc, "id" desc);
    `);
  }
}
