import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isObjectType } from 'graphql';
import { Arg, Field, ObjectType, Query, Resolver } from 'type-graphql';
import { buildSubgraph } from '../src/graphql/subgraph.ts';
import { type ServiceModule, startService } from '../src/service/service.ts';
import { registerSubgraph, TEST_CONTEXT_SECRET } from '../src/testing/credentials.ts';
import { createTestDatabase } from '../src/testing/database.ts';
import { gql } from '../src/testing/graphql.ts';

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
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'assay-subgraph-server-'));
  const schema = await buildSubgraph({ resolvers: [new ThingResolver()] });
  const type = schema.getType('Thing');
  assert.ok(isObjectType(type));
  const resolveBefore = type.getFields().name!.resolve;
  const module: ServiceModule = {
    name: 'subgraph-server',
    dbSchema: 'subgraph_server',
    portVariable: 'ASSAY_SCORING_PORT',
    entities: [],
    migrations: [],
    async createApp() {
      return { schema };
    },
  };
  const service = await startService(module, {
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      DATABASE_URL: database.url,
      ASSAY_DATA_DIR: dataDir,
      ASSAY_SCORING_PORT: '0',
      ASSAY_CONTEXT_SECRET: TEST_CONTEXT_SECRET,
    },
  });
  try {
    await service.ready;
    registerSubgraph(service.url);
    const answer = await gql(service.url, 'query { thing(id: "7") { id name } }');
    assert.deepEqual(answer, { status: 200, data: { thing: { id: '7', name: 'first' } } });
    assert.equal(type.getFields().name!.resolve, resolveBefore, 'the field resolver was replaced');
  } finally {
    await service.stop();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
