import { buildSubgraphSchema, type GraphQLResolverMap, printSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { type GraphQLSchema, parse } from 'graphql';
import { type BuildSchemaOptions, buildSchema, createResolversMap, UseMiddleware } from 'type-graphql';
import { authChecker, requireOperationScope } from '../auth/subgraph-auth.ts';
import { rejectUnstorableText } from './storable-text.ts';

/** Federation 2.x (2.4+ is needed for subscriptions through the gateway). */
const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires"])';

export interface SubgraphOptions extends Omit<BuildSchemaOptions, 'skipCheck' | 'resolvers' | 'container'> {
  /** Resolver instances, constructed by the app with their services (no DI container needed). */
  resolvers: [object, ...object[]];
  /** `__resolveReference` per entity type the subgraph owns. */
  referenceResolvers?: Record<string, { __resolveReference: (ref: never, context: never) => unknown }>;
}

/** A resolver class, as type-graphql takes it. */
type ResolverClass = BuildSchemaOptions['resolvers'][number];

/** Resolver classes already given the checks every resolver runs (a schema may be built twice). */
const checked = new WeakSet<object>();

/**
 * The scope check of mutations and the refusal of unstorable text, on every method of a resolver
 * class: the queries, mutations, subscriptions and field resolvers, which are all the fields that
 * take arguments or sit at the root. They are not global middlewares because type-graphql runs
 * those on every field of every object too, each through a chain of async calls: a promise per
 * plain field, for checks that do nothing there (no arguments, not a root mutation).
 */
function withResolverChecks(resolver: ResolverClass): ResolverClass {
  if (!checked.has(resolver)) {
    UseMiddleware(requireOperationScope, rejectUnstorableText)(resolver);
    checked.add(resolver);
  }
  return resolver;
}

/**
 * type-graphql schema -> Apollo subgraph schema: print it with its directives, add the federation
 * link, rebuild with `buildSubgraphSchema`, and merge type-graphql's resolvers with the reference ones.
 */
export async function buildSubgraph(options: SubgraphOptions): Promise<GraphQLSchema> {
  const { referenceResolvers = {}, resolvers: instances, ...buildOptions } = options;
  const byClass = new Map<ResolverClass, object>(instances.map((i) => [i.constructor, i]));
  const schema = await buildSchema({
    validate: { forbidUnknownValues: false },
    ...buildOptions,
    authChecker,
    resolvers: [...byClass.keys()].map(withResolverChecks) as BuildSchemaOptions['resolvers'],
    container: { get: (type) => byClass.get(type) },
    skipCheck: true,
  });
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [type, reference] of Object.entries(referenceResolvers)) {
    resolvers[type] = { ...resolvers[type], ...reference };
  }
  return buildSubgraphSchema([
    {
      typeDefs: parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`),
      resolvers: resolvers as GraphQLResolverMap<unknown>,
    },
  ]);
}

/** The SDL a subgraph contributes to composition (`schema/subgraphs/<name>.graphql`). */
export function printSubgraphSdl(schema: GraphQLSchema): string {
  return `${printSubgraphSchema(schema).trim()}\n`;
}
