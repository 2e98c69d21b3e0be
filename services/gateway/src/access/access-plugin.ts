import { type Caller, type ContextSigner, hasScope } from '@assay/kit/auth';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { getOperationAST } from 'graphql';
import { ScopeError } from './access-errors.ts';
import type { Authenticator } from './authenticator.ts';

/** What the access plugin adds to every operation's context. */
export interface AccessContext {
  caller: Caller;
  /** The signed context forwarded to subgraphs (`{context.assayContext}` in the transport entries). */
  assayContext: string;
}

/**
 * Authenticates every operation (HTTP, SSE, and graphql-ws, whose caller was authenticated when the
 * socket connected) and signs the caller for the subgraphs. Mutations need `write`: refused here with
 * 403 before any subgraph is asked.
 */
export function accessPlugin(authenticator: Authenticator, signer: ContextSigner): GatewayPlugin {
  return {
    async onContextBuilding({ context, extendContext }) {
      const known = (context as { caller?: Caller }).caller;
      const caller =
        known ??
        (await authenticator.authenticate(context.request?.headers.get('authorization') ?? undefined));
      extendContext({ caller, assayContext: signer.sign(caller) } satisfies AccessContext as never);
    },
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      const caller = (args.contextValue as Partial<AccessContext>).caller;
      if (operation?.operation === 'mutation' && caller && !hasScope(caller, 'write')) {
        throw new ScopeError('write');
      }
    },
  };
}
