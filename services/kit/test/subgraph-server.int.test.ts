import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isObjectType } from 'graphql';
import { Arg, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { buildSubgraph } from '../src/graphql/subgraph.ts';
import { registerSubgraph } from '../src/testing/credentials.ts';
import { gql } from '../src/testing/graphql.ts';
import { appModule, startAppService } from './support/app-service.ts';

// A subgraph's plain fields are resolved by graphql-js as they are: Apollo Server wraps every
// field's resolver once any of its plugins watches fields (its cache control plugin does, by
// default), a cost on every field of every answer for hints no one reads (answers are no-store).

@ObjectType()
class Thing {
  @Field() id!: string;
  @Field() name!: string;
}

@Resolver()
class ThingResolver {
  @Query(() => Thing)
  thing(@Arg('id') id: string): Thing {
    return { id, name: 'first' };
  }
}

test("a subgraph answers without wrapping its objects' plain fields", async () => {
  const schema = await buildSubgraph({ resolvers: [new ThingResolver()] });
  const type = schema.getType('Thing');
  assert.ok(isObjectType(type));
  const resolveBefore = type.getFields().name!.resolve;
  const { service, stop } = await startAppService(appModule('subgraph-server', async () => ({ schema })));
  try {
    await service.ready;
    registerSubgraph(service.url);
    const answer = await gql(service.url, 'query { thing(id: "7") { id name } }');
    assert.deepEqual(answer, { status: 200, data: { thing: { id: '7', name: 'first' } } });
    assert.equal(type.getFields().name!.resolve, resolveBefore, 'the field resolver was replaced');
  } finally {
    await stop();
  }
});
