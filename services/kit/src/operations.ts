// What operations need beside the services: the supervisor (`npm start`), the gateway, the spool
// and schema scripts, benchmarks and system tests. A service's own code uses `@assay/kit`.
export { ConfigError } from './config/config.ts';
export { SUBGRAPHS, type SubgraphName } from './config/subgraphs.ts';
export { type VariableName, variables } from './config/variables.ts';
export { EmbeddedPostgres } from './database/embedded-postgres.ts';
export { createOrm, describeUrl, migrate } from './database/orm.ts';
export { untilDatabaseAnswers } from './database/until-available.ts';
export { printSubgraphSdl } from './graphql/subgraph.ts';
export { attachSubscriptions, type SubscriptionServer } from './graphql/subscriptions.ts';
export { Health } from './http/health.ts';
export { listen } from './http/server.ts';
export { createLogger } from './logging/logger.ts';
export { classifyDbError, type ErrorClass } from './persistence/classify-error.ts';
export { DeadLetter, DeadLetterStatus } from './persistence/dead-letter.entity.ts';
export {
  DeadLetterResolution,
  PersistenceFailure,
  PersistenceFailureConnection,
} from './persistence/dead-letters/persistence-failure.type.ts';
export type { ReplayResult } from './persistence/reliable-writer.ts';
export { Spool, type SpoolRecord } from './persistence/spool.ts';
export { SpoolReplayer } from './persistence/spool-replayer.ts';
export { channelFor, MAX_NOTIFY_BYTES, type SubscribeOptions } from './pubsub/pg-pubsub.ts';
export {
  loadPersistenceConfig,
  openPersistence,
  type Persistence,
  spoolDir,
  startService,
} from './service/service.ts';
