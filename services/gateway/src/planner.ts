import { unifiedGraphHandler as routerHandler } from '@graphql-hive/router-runtime';
import type { UnifiedGraphHandler, UnifiedGraphHandlerResult } from '@graphql-mesh/fusion-runtime';
import { handleFederationSupergraph } from '@graphql-mesh/fusion-runtime';
import { createDefaultExecutor } from '@graphql-tools/delegate';
import { type DocumentNode, type GraphQLSchema, getOperationAST, Kind, type SelectionSetNode } from 'graphql';

/**
 * Hive Router's query planner (Rust, shipped in the npm package) and its executor for queries and
 * mutations on the supergraph, instead of the JavaScript stitching planner: 427 vs 291 req/s through
 * the gateway in one session (`npm run bench -- gateway [--planner stitching]`). Hive Router's
 * runtime does not know the gateway's own fields (`additionalTypeDefs`/`additionalResolvers`: the
 * API-key administration), so an operation that selects one of them at its root runs on the
 * stitched schema, as every operation did before; so do introspection and subscriptions
 * (see `runsOnRouter`).
 */
export const hybridGraphHandler: UnifiedGraphHandler = async (opts) => {
  const [router, stitched] = await Promise.all([routerHandler(opts), handleFederationSupergraph(opts)]);
  const supergraphRoots = new Set<string>();
  for (const type of [
    router.unifiedGraph.getQueryType(),
    router.unifiedGraph.getMutationType(),
    router.unifiedGraph.getSubscriptionType(),
  ]) {
    for (const name of Object.keys(type?.getFields() ?? {})) supergraphRoots.add(`${type!.name}.${name}`);
  }
  const stitchedExecutor = createDefaultExecutor(stitched.unifiedGraph);
  const routerExecutor = router.executor!;
  // Decided once per parsed document (Yoga caches documents) and operation.
  const decided = new WeakMap<DocumentNode, Map<string, boolean>>();
  const onRouter = (request: { document: DocumentNode; operationName?: string }): boolean => {
    let byOperation = decided.get(request.document);
    if (!byOperation) {
      byOperation = new Map();
      decided.set(request.document, byOperation);
    }
    const key = request.operationName ?? '';
    let answer = byOperation.get(key);
    if (answer === undefined) {
      answer = runsOnRouter(stitched.unifiedGraph, supergraphRoots, request.document, request.operationName);
      byOperation.set(key, answer);
    }
    return answer;
  };
  return {
    ...stitched,
    overrideLabels: router.overrideLabels,
    executor: (request) =>
      onRouter(request) ? routerExecutor(request as never) : stitchedExecutor(request as never),
  } satisfies UnifiedGraphHandlerResult;
};

/**
 * Whether Hive Router's runtime may run an operation: a query or mutation whose every root field
 * (through fragments) is one of the supergraph's (`supergraphRoots`: `Query.scoringRun`, …) or
 * `__typename`. Introspection (`__schema`, `__type`) must see the gateway's own fields too, and
 * subscriptions stay stitched: the router runtime answers a subgraph's coded subscription error
 * (NOT_FOUND for an unknown run) as INTERNAL_SERVER_ERROR, and a subscription is planned once anyway.
 */
export function runsOnRouter(
  schema: GraphQLSchema,
  supergraphRoots: ReadonlySet<string>,
  document: DocumentNode,
  operationName?: string,
): boolean {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation === 'subscription') return false;
  const root = schema.getRootType(operation.operation)?.name;
  return root !== undefined && rootFieldsKnown(operation.selectionSet, document, root, supergraphRoots);
}

function rootFieldsKnown(
  selectionSet: SelectionSetNode,
  document: DocumentNode,
  root: string,
  known: ReadonlySet<string>,
): boolean {
  return selectionSet.selections.every((selection) => {
    if (selection.kind === Kind.FIELD)
      return selection.name.value === '__typename' || known.has(`${root}.${selection.name.value}`);
    if (selection.kind === Kind.INLINE_FRAGMENT)
      return rootFieldsKnown(selection.selectionSet, document, root, known);
    const fragment = document.definitions.find(
      (d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === selection.name.value,
    );
    return (
      fragment?.kind === Kind.FRAGMENT_DEFINITION &&
      rootFieldsKnown(fragment.selectionSet, document, root, known)
    );
  });
}
