// What a subgraph costs per field of an answer, in-process (no HTTP, no database): one query of
// `--rows` objects × 5 plain fields, executed
//  1. by graphql-js on a schema written with graphql-js alone (the floor: resolving is reading a
//     property),
//  2. by graphql-js on the same schema built the subgraphs' way (type-graphql through kit's
//     buildSubgraph, with the checks every resolver runs),
//  3. by Apollo Server on that schema with the subgraphs' plugins (kit's subgraphApolloPlugins),
//  4. by Apollo Server with its default plugins (cache control on), which the subgraphs turn off.
// Variants alternate for `--rounds` rounds; each prints µs per query and per field, best round.
//   npm run bench -- fields [--rows 100] [--queries 2000] [--rounds 3]
import { parseArgs } from 'node:util';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import {
  type DocumentNode,
  execute,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
} from 'graphql';
import { Field, ObjectType, Query, Resolver } from 'type-graphql';
import { buildSubgraph } from '../services/kit/src/graphql/subgraph.ts';
import { subgraphApolloPlugins } from '../services/kit/src/service/service.ts';
import { record } from './stats.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100' },
    queries: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROWS = Number(values.rows);
const QUERIES = Number(values.queries);
const ROUNDS = Number(values.rounds);
const FIELDS = ['a', 'b', 'c', 'd', 'e'] as const;
const rows = Array.from({ length: ROWS }, (_, i) => Object.fromEntries(FIELDS.map((f) => [f, `${f}${i}`])));

@ObjectType()
class Row {
  @Field() a!: string;
  @Field() b!: string;
  @Field() c!: string;
  @Field() d!: string;
  @Field() e!: string;
}

@Resolver()
class RowResolver {
  @Query(() => [Row])
  rows(): Row[] {
    return rows as unknown as Row[];
  }
}

const plainRow = new GraphQLObjectType({
  name: 'Row',
  fields: Object.fromEntries(FIELDS.map((f) => [f, { type: new GraphQLNonNull(GraphQLString) }])),
});
const plain = new GraphQLSchema({
  query: new GraphQLObjectType({
    name: 'Query',
    fields: {
      rows: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(plainRow))), resolve: () => rows },
    },
  }),
});
const subgraph = await buildSubgraph({ resolvers: [new RowResolver()] });
const query = `{ rows { ${FIELDS.join(' ')} } }`;
const document: DocumentNode = parse(query);
const contextValue = { caller: { tenant: 'bench', scopes: ['read'], subject: 'bench' } };

async function apollo(plugins: ApolloServerPlugin[]) {
  const server = new ApolloServer({ schema: subgraph, plugins });
  await server.start();
  return async () => {
    const { body } = await server.executeOperation({ query }, { contextValue });
    if (body.kind !== 'single' || body.singleResult.errors) throw new Error(JSON.stringify(body));
  };
}

const variants: [string, () => Promise<unknown>][] = [
  ['graphql-js, plain schema (floor)', async () => execute({ schema: plain, document, contextValue })],
  ['graphql-js, the subgraph schema', async () => execute({ schema: subgraph, document, contextValue })],
  ["Apollo, the subgraphs' plugins", await apollo(subgraphApolloPlugins())],
  ['Apollo, its defaults (cache control on)', await apollo([ApolloServerPluginInlineTraceDisabled()])],
];

const best = new Map<string, number>();
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of variants) {
    for (let i = 0; i < QUERIES / 10; i++) await run(); // warm-up
    const started = performance.now();
    for (let i = 0; i < QUERIES; i++) await run();
    const us = ((performance.now() - started) / QUERIES) * 1000;
    best.set(name, Math.min(best.get(name) ?? Number.POSITIVE_INFINITY, us));
  }
}
const fields = ROWS * FIELDS.length;
const floor = best.get(variants[0]![0])!;
console.log(
  `${ROWS} rows × ${FIELDS.length} fields = ${fields} fields per query; best of ${ROUNDS} rounds of ${QUERIES}`,
);
for (const [name] of variants) {
  const us = best.get(name)!;
  console.log(
    `${name.padEnd(42)} ${us.toFixed(0).padStart(6)} µs/query  ${((us / fields) * 1000).toFixed(0).padStart(5)} ns/field  ${(us / floor).toFixed(2)}× the floor`,
  );
}
record(
  "fields: ns per field, Apollo with the subgraphs' plugins",
  (best.get(variants[2]![0])! / fields) * 1000,
  'ns',
  'lower',
);
