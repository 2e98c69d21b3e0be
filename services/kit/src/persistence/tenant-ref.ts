import { raw } from '@mikro-orm/core';

/**
 * Whose data a write holds: a tenant named outright (a new run), or the tenant of the run it belongs
 * to (a step or result of that run, whose payload names only the run). A write that fails for good
 * is dead-lettered under that tenant, and a failure it reports is that tenant's, so only that
 * tenant sees them.
 */
export type TenantRef = { tenantId: string } | { runId: string; runTable: string };

/** The tenant as SQL for an insert: a parameter, or the run's `tenant_id`, read in the same statement. */
export function tenantSql(ref: TenantRef): { sql: string; params: unknown[] } {
  if ('tenantId' in ref) return { sql: '?', params: [ref.tenantId] };
  return { sql: `(select tenant_id from ${ref.runTable} where id = ?)`, params: [ref.runId] };
}

/** The same, as a value for MikroORM's query builder. */
export function tenantValue(ref: TenantRef): string {
  const { sql, params } = tenantSql(ref);
  return raw(sql, params);
}
