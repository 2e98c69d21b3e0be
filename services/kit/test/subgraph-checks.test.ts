import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execute, type GraphQLSchema, isObjectType, parse } from 'graphql';
import {
  Arg,
  Field,
  FieldResolver,
  getMetadataStorage,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { Caller } from '../src/auth/caller.ts';
import { buildSubgraph } from '../src/graphql/subgraph.ts';

// Every subgraph checks two things on every field a client can pass arguments to or start a
// mutation with: the caller's scope for mutations, and text PostgreSQL cannot store. Plain fields
// of an object take no arguments, so they skip those checks and resolve without a promise.

@ObjectType()
class Item {
  @Field() id!: string;
  @Field() name!: string;
}

@Resolver(() => Item)
class ItemResolver {
  @Query(() => Item)
  item(@Arg('id') id: string): Item {
    return { id, name: 'first' };
  }

  @Mutation(() => Item)
  rename(@Arg('id') id: string, @Arg('name') name: string): Item {
    return { id, name };
  }

  @FieldResolver(() => String)
  label(@Root() item: Item, @Arg('prefix') prefix: string): string {
    return `${prefix}${item.name}`;
  }
}

const reader: Caller = { tenant: 'acme', scopes: ['read'], subject: 'key:reader' };
const writer: Caller = { tenant: 'acme', scopes: ['write'], subject: 'key:writer' };

async function run(
  schema: GraphQLSchema,
  source: string,
  caller: Caller,
  variables?: Record<string, unknown>,
) {
  const document = parse(source);
  const result = await execute({ schema, document, contextValue: { caller }, variableValues: variables });
  // As JSON, the client's view (graphql-js builds its data with null prototypes).
  return { ...result, data: JSON.parse(JSON.stringify(result.data ?? null)) };
}

/** The code the subgraph's error formatting would put in `extensions.code`. */
const codeOf = (result: Awaited<ReturnType<typeof run>>) =>
  (result.errors?.[0]?.originalError as { code?: string } | undefined)?.code;

test('mutations need write, arguments refuse unstorable text, at the root and in field resolvers', async () => {
  // Built twice, as a test process may: the checks are given once, not stacked.
  await buildSubgraph({ resolvers: [new ItemResolver()] });
  const middlewaresOfItemResolver = () =>
    getMetadataStorage().resolverMiddlewares.filter((m) => m.target === ItemResolver).length;
  const once = middlewaresOfItemResolver();
  const schema = await buildSubgraph({ resolvers: [new ItemResolver()] });
  assert.ok(once > 0);
  assert.equal(middlewaresOfItemResolver(), once, 'a second build stacked the checks again');

  const forbidden = await run(schema, 'mutation { rename(id: "1", name: "x") { id } }', reader);
  assert.equal(codeOf(forbidden), 'FORBIDDEN');
  assert.deepEqual(forbidden.data, null);
  const renamed = await run(schema, 'mutation { rename(id: "1", name: "x") { name } }', writer);
  assert.deepEqual(renamed, { data: { rename: { name: 'x' } } });

  for (const [source, text] of [
    ['query($t: String!) { item(id: $t) { id } }', 'a\u0000'],
    ['query($t: String!) { item(id: "1") { label(prefix: $t) } }', '\uD800'],
    ['mutation($t: String!) { rename(id: "1", name: $t) { id } }', '\u0000'],
  ] as const) {
    const refused = await run(schema, source, writer, { t: text });
    assert.equal(codeOf(refused), 'BAD_USER_INPUT', source);
    assert.match(refused.errors![0]!.message, /contains (a NUL character|an unpaired UTF-16 surrogate)/);
  }
  const labelled = await run(schema, 'query { item(id: "1") { id name label(prefix: "> ") } }', reader);
  assert.deepEqual(labelled, { data: { item: { id: '1', name: 'first', label: '> first' } } });
});

test('a plain field of an object resolves without a promise (no middleware chain)', async () => {
  const schema = await buildSubgraph({ resolvers: [new ItemResolver()] });
  const type = schema.getType('Item');
  assert.ok(isObjectType(type));
  const name = type.getFields().name!;
  const resolved = name.resolve!({ id: '1', name: 'first' }, {}, { caller: reader }, {} as never);
  assert.equal(resolved, 'first');
});
