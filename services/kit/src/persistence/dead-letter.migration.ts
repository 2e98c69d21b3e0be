import { Migration } from '@mikro-orm/migrations';

/** The kit's own table, added to every service schema after the service's first migration. */
export class Migration20261123000000DeadLetters extends Migration {
  override up(): void {
    const schema = this.config.get('schema');
    if (!/^[a-z_][a-z0-9_]*$/.test(schema ?? '')) throw new Error(`invalid schema name ${schema}`);
    this.addSql(`
      create table "${schema}"."dead_letter" (
        "id" uuid primary key,
        "tenant_id" text not null default 'default',
        "write" text not null,
        "idempotency_key" text not null,
        "payload" jsonb not null,
        "error_class" text not null,
        "error_code" text not null,
        "error_message" text not null,
        "retry_count" integer not null default 0,
        "status" text not null default 'PENDING'
          check ("status" in ('PENDING','RETRYING','RESOLVED','IGNORED')),
        "resolution_note" text null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null,
        "resolved_at" timestamptz null,
        constraint "dead_letter_write_idempotency_key_unique" unique ("write", "idempotency_key")
      );
      create index "dead_letter_status_created_at_index" on "${schema}"."dead_letter" ("status", "created_at");
    `);
  }
}
