export {
  connectionParamsFor,
  credentialsFor,
  registerGateway,
  signedContext,
  TEST_CONTEXT_SECRET,
} from './credentials.ts';
export { createTestDatabase } from './database.ts';
export * from './fake-openai.ts';
export { type GraphQLResult, gql } from './graphql.ts';
export { PgFaultProxy } from './pg-fault-proxy.ts';
export { childPids, freePort, isAlive, runScript, type Started, systemPorts } from './processes.ts';
export { startReplica, startTestService } from './service.ts';
