import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSchema, parse } from 'graphql';
import { runsOnRouter } from '../src/planner.ts';

// The gateway's schema: the supergraph's fields and its own (`apiKeys`, `createApiKey`).
const schema = buildSchema(`
  type Query { scoringRun(id: ID!): Run  failureGroups: [ID!]!  apiKeys: [ID!]! }
  type Mutation { startScoringRun: Run  createApiKey: ID }
  type Subscription { scoringRunProgress(runId: ID!): Run }
  type Run { id: ID! }
`);
const supergraph = new Set([
  'Query.scoringRun',
  'Query.failureGroups',
  'Mutation.startScoringRun',
  'Subscription.scoringRunProgress',
]);
const decide = (source: string, operationName?: string) =>
  runsOnRouter(schema, supergraph, parse(source), operationName);

describe('which operations Hive Router runs (the rest stay on the stitched schema)', () => {
  it('queries and mutations on supergraph fields go to the router, through fragments too', () => {
    assert.equal(decide('{ scoringRun(id: "1") { id } failureGroups __typename }'), true);
    assert.equal(decide('mutation { startScoringRun { id } }'), true);
    assert.equal(
      decide('{ ...F } fragment F on Query { ... on Query { scoringRun(id: "1") { id } } }'),
      true,
    );
  });

  it("the gateway's own fields, introspection and subscriptions stay stitched", () => {
    assert.equal(decide('{ apiKeys }'), false);
    assert.equal(decide('{ scoringRun(id: "1") { id } apiKeys }'), false, 'one own field is enough');
    assert.equal(decide('mutation { createApiKey }'), false);
    assert.equal(decide('{ ...F } fragment F on Query { apiKeys }'), false);
    assert.equal(decide('{ __schema { queryType { name } } }'), false);
    assert.equal(decide('{ __type(name: "Run") { name } }'), false);
    assert.equal(decide('subscription { scoringRunProgress(runId: "1") { id } }'), false);
  });

  it('picks the named operation of a document; an unknown name or an unnamed choice among many is stitched', () => {
    const document = 'query A { scoringRun(id: "1") { id } } query B { apiKeys }';
    assert.equal(decide(document, 'A'), true);
    assert.equal(decide(document, 'B'), false);
    assert.equal(decide(document, 'C'), false);
    assert.equal(decide(document), false);
  });
});
