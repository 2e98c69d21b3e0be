import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import type { EntityManager } from './orm.ts';

/**
 * Runs one statement with its values sent as parameters, on the EntityManager's transaction when it
 * is in one. `em.execute` writes the values into the SQL text instead, so to PostgreSQL every call is
 * a new statement to parse and plan; sent with parameters, the text is the same on every call and
 * the pool's client (PreparingClient) prepares it once per connection. For the statements the write
 * path sends on every run: its transitions, their read-backs, its server-side timeouts.
 *
 * `?` placeholders, as for `em.execute`; none may appear in the SQL otherwise (in a literal, say).
 */
export async function execute<T = Record<string, unknown>>(
  em: EntityManager,
  sql: string,
  params: readonly unknown[],
): Promise<T[]> {
  const runner: Kysely<unknown> =
    em.getTransactionContext<Transaction<unknown>>() ?? em.getConnection().getClient<unknown>();
  const result = await runner.executeQuery<T>(CompiledQuery.raw(numbered(sql), [...params]));
  return result.rows;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …`. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
