import { Migration } from '@mikro-orm/migrations';

/**
 * The catalog becomes per tenant over one shared, shipped catalog (tenant_id `*`, which no tenant
 * id can be). Until now every entry was written as the `default` tenant's and listed to every
 * caller: those entries (the shipped ones, reloaded at every start, and whatever was upserted) are
 * that shared catalog, under the same ids, so the failures and groups pointing at them still do.
 */
export class Migration20261207000005SharedCatalog extends Migration {
  override up(): void {
    this.addSql(
      `update "failure_catalog"."catalog_entry" set "tenant_id" = '*' where "tenant_id" = 'default';`,
    );
  }
}
