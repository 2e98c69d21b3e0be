export { createTestDatabase } from './database.ts';
export { type GraphQLResult, gql } from './graphql.ts';
export { childPids, freePort, isAlive, runScript, type Started } from './processes.ts';
export { startTestService } from './service.ts';
