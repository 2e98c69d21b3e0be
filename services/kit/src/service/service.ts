import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { Constructor } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import type { GraphQLSchema } from 'graphql';
import { AuditEntry } from '../audit/audit-entry.entity.ts';
import { Migration20261206000010AuditLog } from '../audit/audit-log.migration.ts';
import { contextFromConnectionParams, contextFromHeaders } from '../auth/subgraph-auth.ts';
import { loadConfig } from '../config/config.ts';
import { connectWithRetry, createOrm, describeUrl, type MikroORM, migrate } from '../database/orm.ts';
import { createFormatError } from '../graphql/format-error.ts';
import { graphqlLimits, introspectionEnabled, limitValidationRules } from '../graphql/limits.ts';
import { attachSubscriptions } from '../graphql/subscriptions.ts';
import { Health } from '../http/health.ts';
import { createServiceServer, listen } from '../http/server.ts';
import { Shutdown } from '../lifecycle/shutdown.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { DeadLetter } from '../persistence/dead-letter.entity.ts';
import { Migration20261123000000DeadLetters } from '../persistence/dead-letter.migration.ts';
import { breakerStateName, ReliableWriter } from '../persistence/reliable-writer.ts';
import { Spool } from '../persistence/spool.ts';
import { SpoolReplayer } from '../persistence/spool-replayer.ts';
import { PgPubSub } from '../pubsub/pg-pubsub.ts';
import type { Telemetry } from '../telemetry/telemetry.ts';

/** What the kit adds to every service schema: the reliable write path's dead letters and the audit log. */
const KIT_ENTITIES = [DeadLetter, AuditEntry];
const KIT_MIGRATIONS = [Migration20261123000000DeadLetters, Migration20261206000010AuditLog];

export type PortVariable = 'ASSAY_SCORING_PORT' | 'ASSAY_REVIEW_PORT' | 'ASSAY_FAILURE_CATALOG_PORT';

const SERVICE_VARIABLES = [
  'DATABASE_URL',
  'LOG_LEVEL',
  'ASSAY_HOST',
  'ASSAY_DB_POOL_MAX',
  'ASSAY_DB_CONNECT_RETRY_MS',
  'ASSAY_SHUTDOWN_TIMEOUT_MS',
  'ASSAY_GRAPHQL_INTROSPECTION',
  'ASSAY_GRAPHQL_MAX_DEPTH',
  'ASSAY_GRAPHQL_TIMEOUT_MS',
  'ASSAY_CONTEXT_SECRET',
  'ASSAY_DATA_DIR',
  'ASSAY_DB_CONNECT_TIMEOUT_MS',
  'ASSAY_DB_STATEMENT_TIMEOUT_MS',
  'ASSAY_WRITE_TIMEOUT_MS',
  'ASSAY_WRITE_RETRIES',
  'ASSAY_WRITE_RETRY_BASE_MS',
  'ASSAY_WRITE_RETRY_MAX_MS',
  'ASSAY_WRITE_GROUP_SLOTS',
  'ASSAY_BREAKER_THRESHOLD',
  'ASSAY_BREAKER_HALF_OPEN_MS',
  'ASSAY_SPOOL_REPLAY_INTERVAL_MS',
] as const;

export type ServiceConfig = ReturnType<typeof loadServiceConfig>;

function loadServiceConfig(port: PortVariable, env: NodeJS.ProcessEnv) {
  return loadConfig([...SERVICE_VARIABLES, port], env);
}

export interface AppDeps {
  orm: MikroORM;
  /** The reliable write path: every write that matters goes through it. */
  writer: ReliableWriter;
  log: Logger;
  health: Health;
  env: NodeJS.ProcessEnv;
  /**
   * Events every replica sees (PostgreSQL LISTEN/NOTIFY). It connects on first use, so an app built
   * offline (to print its schema) can be given one that never connects.
   */
  pubSub: PgPubSub;
}

/** What a service's `app.ts` builds: its schema, and background work started once the database is up. */
export interface App {
  schema: GraphQLSchema;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

/** Everything that makes a process out of a service: a subgraph on its own PostgreSQL schema. */
export interface ServiceModule {
  name: string;
  dbSchema: string;
  portVariable: PortVariable;
  entities: Constructor[];
  migrations: Constructor<Migration>[];
  /** Its failure outbox (`"schema"."failure_outbox"`), when it reports failures to the catalog. */
  failureOutbox?: string;
  createApp(deps: AppDeps): Promise<App>;
}

export interface Persistence {
  orm: MikroORM;
  spool: Spool;
  writer: ReliableWriter;
  replayer: SpoolReplayer;
}

/**
 * A service's database and its reliable write path, not yet connected: the ORM on the service's
 * schema, its spool (locked: one process per spool), the writer and the spool's replayer.
 * `npm start` and `npm run spool` both open a service's persistence this way.
 */
export async function openPersistence(
  module: ServiceModule,
  config: Pick<ServiceConfig, (typeof SERVICE_VARIABLES)[number]>,
  log: Logger,
): Promise<Persistence> {
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required (npm start sets it for you)');
  const orm = await createOrm({
    url: config.DATABASE_URL,
    schema: module.dbSchema,
    entities: [...module.entities, ...KIT_ENTITIES],
    migrations: [...module.migrations, ...KIT_MIGRATIONS],
    poolMax: config.ASSAY_DB_POOL_MAX,
    connectTimeoutMs: config.ASSAY_DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.ASSAY_DB_STATEMENT_TIMEOUT_MS,
  });
  const spool = new Spool(spoolDir(config.ASSAY_DATA_DIR, module.name), log);
  await spool.open();
  const writer = new ReliableWriter({
    orm,
    spool,
    log,
    ...(module.failureOutbox ? { failureOutbox: { service: module.name, table: module.failureOutbox } } : {}),
    policy: {
      timeoutMs: config.ASSAY_WRITE_TIMEOUT_MS,
      retries: config.ASSAY_WRITE_RETRIES,
      retryBaseMs: config.ASSAY_WRITE_RETRY_BASE_MS,
      retryMaxMs: config.ASSAY_WRITE_RETRY_MAX_MS,
      groupSlots: config.ASSAY_WRITE_GROUP_SLOTS,
      breakerThreshold: config.ASSAY_BREAKER_THRESHOLD,
      breakerHalfOpenMs: config.ASSAY_BREAKER_HALF_OPEN_MS,
      // Two connections of the pool stay free for reads while writes queue.
      concurrency: config.ASSAY_DB_POOL_MAX - 2,
    },
  });
  const replayer = new SpoolReplayer(writer, log, { intervalMs: config.ASSAY_SPOOL_REPLAY_INTERVAL_MS });
  return { orm, spool, writer, replayer };
}

/** Where a service's spool lives. */
export function spoolDir(dataDir: string, service: string): string {
  return join(resolve(dataDir), 'spool', service);
}

export function loadPersistenceConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig([...SERVICE_VARIABLES], env);
}

export interface RunningService {
  url: string;
  port: number;
  orm: MikroORM;
  writer: ReliableWriter;
  replayer: SpoolReplayer;
  log: Logger;
  health: Health;
  /** Resolves once connected, migrated and background work started. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** The Apollo Server plugins every subgraph runs with (`bench -- fields` measures them too). */
export function subgraphApolloPlugins() {
  return [
    // Traces go to OpenTelemetry, not Apollo's inline ftv1 format.
    ApolloServerPluginInlineTraceDisabled(),
    // No cache hints: every answer is `cache-control: no-store` (http/server.ts). Apollo's cache
    // control plugin would wrap every field's resolver to collect hints (≈ 1 µs a field).
    ApolloServerPluginCacheControlDisabled(),
  ];
}

/**
 * Builds and starts a service without owning the process (tests use it with port 0):
 * listen first, so `/healthz` answers while the database is still being reached; `/readyz` stays
 * 503 until connected and migrated.
 */
export async function startService(
  module: ServiceModule,
  options: { env?: NodeJS.ProcessEnv; telemetry?: Telemetry } = {},
): Promise<RunningService> {
  const env = options.env ?? process.env;
  const config = loadServiceConfig(module.portVariable, env);
  const log = createLogger(module.name, config.LOG_LEVEL);
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required (npm start sets it for you)');
  const secret = config.ASSAY_CONTEXT_SECRET;
  if (!secret)
    throw new Error(
      'ASSAY_CONTEXT_SECRET is required: the secret the gateway signs callers with (npm start sets it for you)',
    );
  const health = new Health();
  const { orm, spool, writer, replayer } = await openPersistence(module, config, log);
  let migrated = false;
  health.register('database', async () => {
    if (!migrated) return { ok: false, detail: 'connecting' };
    const startedAt = performance.now();
    await orm.em.getConnection().execute('select 1');
    return { ok: true, detail: { latencyMs: Math.round((performance.now() - startedAt) * 10) / 10 } };
  });
  // Ready once the app's background work (job workers, watchdogs) runs too, not only its API.
  let started = false;
  health.register('app', () => (started ? { ok: true } : { ok: false, detail: 'starting' }));
  // Not ready while the breaker is open: writes are accepted but only spooled, and a load balancer
  // (and whoever reads /readyz) must be told so. Records still waiting or quarantined are reported.
  health.register('breaker', () => {
    const state = breakerStateName(writer.policy.state);
    return state === 'open' || state === 'isolated'
      ? { ok: false, detail: `${state}: writes are being spooled, not stored` }
      : { ok: true, detail: state };
  });
  health.register('spool', () => ({
    ok: true,
    detail: { depth: spool.depth, quarantined: spool.quarantinedDepth },
  }));
  // Connects only when first used: services without subscriptions never open its connections.
  const pubSub = new PgPubSub({
    connectionString: config.DATABASE_URL,
    log,
    connectTimeoutMs: config.ASSAY_DB_CONNECT_TIMEOUT_MS,
  });
  const app = await module.createApp({ orm, writer, log, health, env, pubSub });
  const shutdown = new Shutdown(log, config.ASSAY_SHUTDOWN_TIMEOUT_MS);
  shutdown.add('telemetry', () => options.telemetry?.shutdown());
  shutdown.add('database', () => orm.close());
  shutdown.add('spool', () => spool.close());
  shutdown.add('pubsub', () => pubSub.close());

  // The gateway's limits (services/kit/src/graphql/limits.ts), for a subgraph reached directly too.
  const limits = graphqlLimits(config);
  const introspection = introspectionEnabled(config.ASSAY_GRAPHQL_INTROSPECTION, env.NODE_ENV);
  const formatError = createFormatError(log, { hideSuggestions: !introspection });
  const apollo = new ApolloServer({
    schema: app.schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection,
    hideSchemaDetailsFromClientErrors: !introspection,
    validationRules: limitValidationRules(limits),
    parseOptions: { maxTokens: limits.maxTokens },
    // Batches up to limits.maxBatch operations (more: BATCH_TOO_LARGE, checked by the HTTP server).
    allowBatchedHttpRequests: true,
    csrfPrevention: true,
    plugins: subgraphApolloPlugins(),
  });
  const server = createServiceServer({
    apollo,
    health,
    context: async (req) => contextFromHeaders(req.headers, secret),
    prometheus: options.telemetry?.prometheus,
    limits,
  });
  apollo.addPlugin(ApolloServerPluginDrainHttpServer({ httpServer: server }));
  const subscriptions = attachSubscriptions(server, app.schema, {
    log,
    authenticate: (params) => contextFromConnectionParams(params, secret),
    limits,
    formatError,
  });
  await apollo.start();
  shutdown.add('http', async () => {
    health.markShuttingDown();
    await apollo.stop();
  });
  // Before the HTTP server: sockets told "going away" let the gateway resubscribe on another replica.
  shutdown.add('subscriptions', () => subscriptions.dispose());
  await listen(server, config[module.portVariable], config.ASSAY_HOST);
  const port = (server.address() as AddressInfo).port;

  const abort = new AbortController();
  const ready = (async () => {
    log.info({ database: describeUrl(config.DATABASE_URL!) }, 'connecting to the database');
    await connectWithRetry(orm, log, { maxDelayMs: config.ASSAY_DB_CONNECT_RETRY_MS, signal: abort.signal });
    const applied = await migrate(orm);
    migrated = true;
    if (applied.length > 0) log.info({ applied }, 'migrations applied');
    replayer.start();
    shutdown.add('spool replayer', () => replayer.stop());
    await app.start?.();
    started = true;
    shutdown.add('app', () => app.stop?.());
    log.info({ port }, `${module.name} ready`);
  })();
  shutdown.add('startup', () => abort.abort());
  ready.catch((error) => log.error({ err: error }, 'start-up failed'));

  return {
    url: `http://${config.ASSAY_HOST}:${port}/graphql`,
    port,
    orm,
    writer,
    replayer,
    log,
    health,
    ready,
    stop: () => shutdown.run(),
  };
}

/** The body of every service's `main.ts`: start, stop on SIGTERM/SIGINT, one-line errors. */
export async function runService(module: ServiceModule, telemetry: Telemetry): Promise<void> {
  try {
    const service = await startService(module, { telemetry });
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(1); // a second signal: stop waiting
      stopping = true;
      void service.stop().then(() => process.exit(0));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // Started by `npm start`: stop with the supervisor even if it was killed outright.
    process.on('disconnect', onSignal);
    await service.ready.catch(async () => {
      await service.stop();
      process.exit(1);
    });
  } catch (error) {
    process.stderr.write(`${module.name}: ${(error as Error).message}\n`);
    await telemetry.shutdown().catch(() => undefined);
    process.exit(2);
  }
}
