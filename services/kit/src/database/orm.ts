import { setTimeout as sleep } from 'node:timers/promises';
import type { Constructor } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { type Migration, Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { Logger } from '../logging/logger.ts';
import { PreparingClient } from './preparing-client.ts';
import { releaseDroppedConnections } from './release-dropped-connections.ts';

export type { EntityManager } from '@mikro-orm/postgresql';
export { MikroORM };

export interface OrmOptions {
  url: string;
  /** The service's own PostgreSQL schema; it never reads another's. */
  schema: string;
  entities: Constructor[];
  migrations: Constructor<Migration>[];
  poolMax?: number;
  /** pg `connectionTimeoutMillis`: connecting, or waiting for a pool slot. */
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
  debug?: boolean;
}

/** MikroORM on PostgreSQL, one schema per service; does not touch the network until `connect`. */
export async function createOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: options.url,
    schema: options.schema,
    entities: options.entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: options.poolMax ?? 10 },
    // A dead server must fail an attempt quickly (then the write path retries or spools), not hang it.
    driverOptions: {
      // Names the service's connections in pg_stat_activity (pg-boss and the pub/sub name theirs).
      application_name: `assay-${options.schema}`,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      statement_timeout: options.statementTimeoutMs ?? 15000,
      // Statements sent with parameters (database/parameterised.ts) are prepared once per connection.
      Client: PreparingClient,
      onPoolCreated: releaseDroppedConnections,
    },
    debug: options.debug ?? false,
    allowGlobalContext: false,
    migrations: {
      schema: options.schema,
      migrationsList: options.migrations.map((m) => ({ name: m.name, class: m })),
      snapshot: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
  });
}

/** Where the server's address is safe to print: no password. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

/**
 * Waits for the database with capped exponential backoff, one log line per failed attempt.
 * Start-up does not crash-loop when PostgreSQL is late; readiness stays false meanwhile.
 */
export async function connectWithRetry(
  orm: MikroORM,
  log: Logger,
  opts: { maxDelayMs: number; signal?: AbortSignal },
): Promise<void> {
  let delay = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      await orm.connect();
      await orm.em.getConnection().execute('select 1');
      return;
    } catch (error) {
      if (opts.signal?.aborted) throw error;
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message.split('\n')[0];
      log.warn({ attempt, retryInMs: delay }, `database unreachable (${reason}); retrying`);
      await sleep(delay, undefined, { signal: opts.signal });
      delay = Math.min(delay * 2, opts.maxDelayMs);
    }
  }
}

/**
 * Applies the service's checked-in migrations, all or nothing. Replicas starting together take turns:
 * a transaction-scoped advisory lock is held while the migrator runs.
 */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const schema = orm.config.get('schema');
  if (!/^[a-z_][a-z0-9_]*$/.test(schema ?? '')) throw new Error(`invalid schema name ${schema}`);
  // Committed before the lock: the migrator's own connection must see the schema.
  await orm.em
    .getConnection()
    .execute(`create schema if not exists "${schema}"`)
    .catch((error: { code?: string }) => {
      if (error.code !== '23505') throw error; // another replica created it at the same moment
    });
  return orm.em.fork().transactional(async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`assay:migrate:${schema}`]);
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  });
}
