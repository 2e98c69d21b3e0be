import type { IncomingHttpHeaders } from 'node:http';
import { GraphQLError } from 'graphql';
import type { AuthChecker, MiddlewareFn } from 'type-graphql';
import { AppError } from '../errors.ts';
import { type Caller, hasScope, type Scope } from './caller.ts';
import { CONTEXT_HEADER, verifyContext } from './signed-context.ts';

/** The GraphQL context of every subgraph operation: the verified caller. */
export interface AssayContext {
  caller: Caller;
}

export class ForbiddenError extends AppError {
  constructor(scope: Scope) {
    super('FORBIDDEN', `this operation needs the "${scope}" scope, which the credential does not have`);
  }
}

/** A request without a valid signed context is refused before anything runs (HTTP 401). */
export function unauthenticated(): GraphQLError {
  return new GraphQLError('this service answers only requests forwarded by the Assay gateway', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

/** The Apollo Server context function: the caller the gateway vouched for, or a 401. */
export function contextFromHeaders(headers: IncomingHttpHeaders, secret: string): AssayContext {
  const header = headers[CONTEXT_HEADER];
  const caller = verifyContext(Array.isArray(header) ? header[0] : header, secret);
  if (!caller) throw unauthenticated();
  return { caller };
}

/** graphql-ws: the gateway puts the same token in `connection_init`. */
export function contextFromConnectionParams(
  params: Readonly<Record<string, unknown>> | undefined,
  secret: string,
): AssayContext | null {
  const token = params?.[CONTEXT_HEADER];
  const caller = verifyContext(typeof token === 'string' ? token : undefined, secret);
  return caller ? { caller } : null;
}

/**
 * Mutations need `write` (queries and subscriptions need only an authenticated caller: every scope
 * implies `read`). Checked on root fields, so nested fields cost nothing.
 */
export const requireOperationScope: MiddlewareFn<AssayContext> = ({ info, context }, next) => {
  if (info.path.prev === undefined && info.operation.operation === 'mutation') {
    if (!hasScope(context.caller, 'write')) throw new ForbiddenError('write');
  }
  return next();
};

/** `@Authorized('admin')` on dead-letter and catalog administration. */
export const authChecker: AuthChecker<AssayContext, Scope> = ({ context }, scopes) => {
  for (const scope of scopes) if (!hasScope(context.caller, scope)) throw new ForbiddenError(scope);
  return true;
};
