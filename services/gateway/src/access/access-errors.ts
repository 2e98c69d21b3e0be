import { GraphQLError } from 'graphql';

/** No credential, or one that is unknown, revoked, expired or forged: HTTP 401. */
export class AuthenticationError extends GraphQLError {
  constructor(reason: string) {
    super(`not authenticated: ${reason}`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
  }
}

/** A valid credential without the scope the operation needs: HTTP 403. */
export class ScopeError extends GraphQLError {
  constructor(scope: string) {
    super(`this operation needs the "${scope}" scope, which the credential does not have`, {
      extensions: { code: 'FORBIDDEN', http: { status: 403 } },
    });
  }
}

/** The credential could not be checked (the access store is away): retry, do not replace the key. */
export class AccessUnavailableError extends GraphQLError {
  constructor(reason = 'the credential could not be checked now (access store unavailable)') {
    super(`${reason}; retry shortly`, {
      extensions: { code: 'SERVICE_UNAVAILABLE', http: { status: 503, headers: { 'retry-after': '2' } } },
    });
  }
}
