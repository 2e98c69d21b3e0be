import type { Pool, PoolClient } from 'pg';

/**
 * Returns to the pool, as broken, a connection that dies while checked out.
 *
 * Kysely (0.29, under MikroORM 7) releases a transaction's connection only after COMMIT or ROLLBACK
 * succeeds. When the connection drops during either (a lost COMMIT acknowledgement, a server
 * shutdown mid-transaction) it is never released: pg-pool keeps counting it, and after `max` such
 * drops every later query waits for a slot forever. Releasing it here with an error makes the pool
 * discard it; the holder's own later release, if any, becomes a no-op.
 */
export function releaseDroppedConnections(pool: Pool): void {
  const checkedOut = new Set<PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client));
  pool.on('remove', (client) => checkedOut.delete(client as PoolClient));
  pool.on('connect', (client) => {
    client.once('end', () => {
      const held = client as PoolClient;
      if (!checkedOut.has(held)) return;
      const release = held.release;
      held.release = () => undefined;
      release(new Error('connection dropped while checked out'));
    });
  });
}
