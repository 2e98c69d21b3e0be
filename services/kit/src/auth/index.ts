// Access control shared by the gateway (which authenticates and signs) and the subgraphs (which verify).
export {
  type Caller,
  DEFAULT_TENANT,
  hasScope,
  isScope,
  SCOPES,
  type Scope,
  TENANT_PATTERN,
} from './caller.ts';
export { CONTEXT_HEADER, ContextSigner, signContext, verifyContext } from './signed-context.ts';
export { type AssayContext, ForbiddenError } from './subgraph-auth.ts';
