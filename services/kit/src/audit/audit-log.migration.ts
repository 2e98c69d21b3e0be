import { Migration } from '@mikro-orm/migrations';

/** The kit's audit table, added to every service schema. */
export class Migration20261206000010AuditLog extends Migration {
  override up(): void {
    const schema = this.config.get('schema');
    if (!/^[a-z_][a-z0-9_]*$/.test(schema ?? '')) throw new Error(`invalid schema name ${schema}`);
    this.addSql(`
      create table "${schema}"."audit_log" (
        "id" uuid primary key,
        "tenant_id" text not null,
        "actor" text not null,
        "action" text not null,
        "target" text not null,
        "detail" jsonb not null default '{}',
        "at" timestamptz not null
      );
      create index "audit_log_tenant_id_at_index" on "${schema}"."audit_log" ("tenant_id", "at");
    `);
  }
}
