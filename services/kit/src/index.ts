export { ConfigError, loadConfig } from './config/config.ts';
export { SUBGRAPHS, type SubgraphName } from './config/subgraphs.ts';
export { type VariableName, variables } from './config/variables.ts';
export { EmbeddedPostgres } from './database/embedded-postgres.ts';
export { createOrm, describeUrl, type EntityManager, MikroORM, migrate } from './database/orm.ts';
export { isUuid, paginate } from './database/paginate.ts';
export { untilDatabaseAnswers } from './database/until-available.ts';
export { AppError, BadUserInputError, NotFoundError } from './errors.ts';
export {
  type Connection,
  ConnectionType,
  decodeCursor,
  encodeCursor,
  PageInfo,
  pageSize,
  toPage,
} from './graphql/pagination.ts';
export { buildSubgraph, printSubgraphSdl } from './graphql/subgraph.ts';
export { attachSubscriptions, type SubscriptionServer } from './graphql/subscriptions.ts';
export { Health } from './http/health.ts';
export { listen } from './http/server.ts';
export { createLogger, type Logger } from './logging/logger.ts';
export { classifyDbError, type ErrorClass } from './persistence/classify-error.ts';
export { canonicalJson, contentHash, nameUuid } from './persistence/content-hash.ts';
export { DeadLetter, DeadLetterStatus } from './persistence/dead-letter.entity.ts';
export { DeadLetterResolver } from './persistence/dead-letters/dead-letter.resolver.ts';
export { DeadLetterService } from './persistence/dead-letters/dead-letter.service.ts';
export {
  DeadLetterResolution,
  PersistenceFailure,
  PersistenceFailureConnection,
} from './persistence/dead-letters/persistence-failure.type.ts';
export {
  IdempotencyConflictError,
  PermanentWriteError,
  VerificationError,
} from './persistence/persistence-error.ts';
export {
  type PersistResult,
  ReliableWriter,
  type ReplayResult,
  type Stored,
  type WriteDefinition,
} from './persistence/reliable-writer.ts';
export { Spool, type SpoolRecord } from './persistence/spool.ts';
export { SpoolReplayer } from './persistence/spool-replayer.ts';
export { type FollowOptions, followLatest } from './pubsub/follow.ts';
export { channelFor, MAX_NOTIFY_BYTES, PgPubSub, type SubscribeOptions } from './pubsub/pg-pubsub.ts';
export {
  type App,
  type AppDeps,
  loadPersistenceConfig,
  openPersistence,
  type Persistence,
  type RunningService,
  runService,
  type ServiceModule,
  spoolDir,
  startService,
} from './service/service.ts';
