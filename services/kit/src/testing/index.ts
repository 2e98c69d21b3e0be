export { createTestDatabase } from './database.ts';
export { type GraphQLResult, gql } from './graphql.ts';
export { startTestService } from './service.ts';
