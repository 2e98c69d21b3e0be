import { unifiedGraphHandler as routerHandler } from '@graphql-hive/router-runtime';
import type { UnifiedGraphHandler, UnifiedGraphHandlerResult } from '@graphql-mesh/fusion-runtime';
import { handleFederationSupergraph } from '@graphql-mesh/fusion-runtime';
import { createDefaultExecutor } from '@graphql-tools/delegate';
import { type DocumentNode, getOperationAST, Kind, type SelectionSetNode } from 'graphql';

/**
 * Hive Router's query planner (Rust, shipped in the npm package) and its executor for every
 * operation on the supergraph, instead of the JavaScript stitching planner, which took most of the
 * gateway's CPU per request. Hive Router's runtime does not know the gateway's own fields
 * (`additionalTypeDefs`/`additionalResolvers`: the API-key administration), so an operation that
 * selects one of them at its root runs on the stitched schema, as every operation did before, and so
 * does every subscription (see below).
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
  const onRouter = new WeakMap<DocumentNode, Map<string, boolean>>();
  const runsOnRouter = (request: { document: DocumentNode; operationName?: string }): boolean => {
    let byOperation = onRouter.get(request.document);
    if (!byOperation) {
      byOperation = new Map();
      onRouter.set(request.document, byOperation);
    }
    const key = request.operationName ?? '';
    let answer = byOperation.get(key);
    if (answer === undefined) {
      const operation = getOperationAST(request.document, request.operationName);
      const root = operation && stitched.unifiedGraph.getRootType(operation.operation)?.name;
      // Subscriptions stay stitched: Hive Router's runtime answers a subgraph's coded subscription
      // error (NOT_FOUND for an unknown run) as INTERNAL_SERVER_ERROR, and planning is once per
      // subscription anyway, so the router would gain little there.
      answer =
        operation?.operation !== 'subscription' &&
        Boolean(root) &&
        rootFieldsKnown(operation!.selectionSet, request.document, root!, supergraphRoots);
      byOperation.set(key, answer);
    }
    return answer;
  };
  return {
    ...stitched,
    overrideLabels: router.overrideLabels,
    executor: (request) =>
      runsOnRouter(request) ? routerExecutor(request as never) : stitchedExecutor(request as never),
  } satisfies UnifiedGraphHandlerResult;
};

/** Whether every root field (through fragments) is one of the supergraph's (or `__typename`). */
function rootFieldsKnown(
  selectionSet: SelectionSetNode,
  document: DocumentNode,
  root: string,
  known: Set<string>,
): boolean {
  return selectionSet.selections.every((selection) => {
    // Introspection (`__schema`, `__type`) must see the gateway's own fields too: stitched.
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
