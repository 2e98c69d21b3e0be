import { Migration } from '@mikro-orm/migrations';

/** Catalog entries match by code family, message pattern and keywords too; failures are stored once by id. */
export class Migration20261206000001Matching extends Migration {
  override up(): void {
    this.addSql(`
      alter table "failure_catalog"."catalog_entry"
        add column "code_prefix" text null,
        add column "message_pattern" text null,
        add column "keywords" jsonb not null default '[]';
      create index "failure_match_tenant_id_fingerprint_index"
        on "failure_catalog"."failure_match" ("tenant_id", "fingerprint");
    `);
  }
}
