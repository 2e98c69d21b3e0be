import { Migration } from '@mikro-orm/migrations';

/** Failure groups by fingerprint (count, first/last seen, status, regression). */
export class Migration20261206000002Groups extends Migration {
  override up(): void {
    this.addSql(`
      create table "failure_catalog"."failure_group" (
        "id" uuid primary key,
        "tenant_id" text not null default 'default',
        "fingerprint" text not null,
        "service" text not null,
        "error_code" text not null,
        "sample_message" text null,
        "catalog_entry_id" uuid null references "failure_catalog"."catalog_entry" ("id") on delete set null,
        "count" integer not null,
        "created_at" timestamptz not null,
        "last_seen" timestamptz not null,
        "status" text not null check ("status" in ('UNRECOVERED','RECOVERED','IGNORED','REGRESSED')),
        "regressed_by_id" uuid null,
        constraint "failure_group_tenant_id_fingerprint_unique" unique ("tenant_id", "fingerprint")
      );
      create index "failure_group_tenant_id_created_at_id_index"
        on "failure_catalog"."failure_group" ("tenant_id", "created_at" desc, "id" desc);
      alter table "failure_catalog"."failure_match" add column "group_id" uuid null
        references "failure_catalog"."failure_group" ("id");
      create index "failure_match_group_id_index" on "failure_catalog"."failure_match" ("group_id");
    `);
  }
}
