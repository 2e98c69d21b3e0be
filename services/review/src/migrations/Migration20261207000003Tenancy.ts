import { Migration } from '@mikro-orm/migrations';

/**
 * Tenancy: a run's tenant is always given (no more `'default'` for a run that forgot to say), and a
 * run's proposal, persona reviews and decision carry its tenant. Idempotency keys were already
 * unique per tenant (`review_run_tenant_id_idempotency_key_unique`).
 */
export class Migration20261207000003Tenancy extends Migration {
  override up(): void {
    this.addSql(`
      alter table "review"."review_run" alter column "tenant_id" drop default;
      alter table "review"."proposal_version" add column "tenant_id" text null;
      alter table "review"."persona_review" add column "tenant_id" text null;
      alter table "review"."decision" add column "tenant_id" text null;
      update "review"."proposal_version" t set "tenant_id" = r."tenant_id"
        from "review"."review_run" r where r."id" = t."run_id";
      update "review"."persona_review" t set "tenant_id" = r."tenant_id"
        from "review"."review_run" r where r."id" = t."run_id";
      update "review"."decision" t set "tenant_id" = r."tenant_id"
        from "review"."review_run" r where r."id" = t."run_id";
      alter table "review"."proposal_version" alter column "tenant_id" set not null;
      alter table "review"."persona_review" alter column "tenant_id" set not null;
      alter table "review"."decision" alter column "tenant_id" set not null;
    `);
  }
}
