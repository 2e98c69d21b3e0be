import { Migration } from '@mikro-orm/migrations';

/**
 * Tenancy: a run's tenant is always given (no more `'default'` for a run that forgot to say), and a
 * score carries its run's tenant. Idempotency keys were already unique per tenant
 * (`scoring_run_tenant_id_idempotency_key_unique`).
 */
export class Migration20261207000006Tenancy extends Migration {
  override up(): void {
    this.addSql(`
      alter table "scoring"."scoring_run" alter column "tenant_id" drop default;
      alter table "scoring"."score" add column "tenant_id" text null;
      update "scoring"."score" s set "tenant_id" = r."tenant_id"
        from "scoring"."scoring_run" r where r."id" = s."run_id";
      alter table "scoring"."score" alter column "tenant_id" set not null;
    `);
  }
}
