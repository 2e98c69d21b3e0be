// What a service author builds a subgraph with. Operations scripts, the gateway, the supervisor
// and benchmarks take the rest from `@assay/kit/operations`; run services add `@assay/kit/runs`.
export { AuditEntry, recordAudit } from './audit/audit-entry.entity.ts';
export type { AssayContext, Caller } from './auth/index.ts';
export { ForbiddenError, hasScope } from './auth/index.ts';
export { loadConfig } from './config/config.ts';
export { type EntityManager, MikroORM } from './database/orm.ts';
export { isUuid, paginate } from './database/paginate.ts';
export { execute } from './database/parameterised.ts';
export { AppError, BadUserInputError, NotFoundError } from './errors.ts';
export {
  type FailureReport,
  failureOutboxSql,
  failureReport,
  writeFailure,
} from './failures/failure-outbox.ts';
export { type Connection, ConnectionType, PageInfo, toPage } from './graphql/pagination.ts';
export { buildSubgraph } from './graphql/subgraph.ts';
export type { Logger } from './logging/logger.ts';
export { canonicalJson, contentHash, nameUuid } from './persistence/content-hash.ts';
export { DeadLetterResolver } from './persistence/dead-letters/dead-letter.resolver.ts';
export { DeadLetterService } from './persistence/dead-letters/dead-letter.service.ts';
export {
  IdempotencyConflictError,
  PermanentWriteError,
  VerificationError,
} from './persistence/persistence-error.ts';
export {
  type PersistResult,
  ReliableWriter,
  readBackOf,
  type Stored,
  type WriteDefinition,
} from './persistence/reliable-writer.ts';
export type { TenantRef } from './persistence/tenant-ref.ts';
export { type FollowOptions, followLatest } from './pubsub/follow.ts';
export { PgPubSub } from './pubsub/pg-pubsub.ts';
export {
  type App,
  type AppDeps,
  type RunningService,
  runService,
  type ServiceModule,
} from './service/service.ts';
