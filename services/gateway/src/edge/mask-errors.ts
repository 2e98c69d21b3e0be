import type { Logger } from '@assay/kit';
import { hideSuggestions, scrubMessage } from '@assay/kit/limits';
import { GraphQLError } from 'graphql';

/** Extensions a client may see; everything else (originalError, stacks, upstream request details) is dropped. */
const KEPT_EXTENSIONS = ['code', 'retryable', 'http', 'serviceName'];

/** How Hive Gateway marks a failed request to a subgraph. */
const UPSTREAM_CODES = new Set(['SUBREQUEST_HTTP_ERROR', 'DOWNSTREAM_SERVICE_ERROR']);

function isOriginalGraphQLError(error: unknown): error is GraphQLError {
  if (!(error instanceof GraphQLError)) return false;
  return error.originalError == null || isOriginalGraphQLError(error.originalError);
}

/**
 * graphql-js's own request errors carry no code: a client must still tell a typo from a bad value
 * (the same codes Apollo Server gives the subgraphs' errors).
 */
function requestErrorCode(error: GraphQLError): string {
  if (error.path) return 'INTERNAL_SERVER_ERROR'; // an execution error made without a code
  if (error.message.startsWith('Syntax Error')) return 'GRAPHQL_PARSE_FAILED';
  if (error.message.startsWith('Variable "$')) return 'BAD_USER_INPUT';
  return 'GRAPHQL_VALIDATION_FAILED';
}

function keptExtensions(extensions: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(extensions ?? {}).filter(([k]) => KEPT_EXTENSIONS.includes(k)));
}

/**
 * The gateway's error masking (Yoga `maskedErrors.maskError`): an error made as a GraphQL error (a
 * client mistake, a refusal, a subgraph's already-masked error) keeps its message and code; anything
 * else becomes "internal error" / INTERNAL_SERVER_ERROR, logged here. In every case no URL,
 * address, file path, stack frame or SQL leaves, nor any extension but code/retryable/serviceName,
 * and never the original error (not even with NODE_ENV=development).
 */
export function createMaskError(log: Logger, options: { hideSuggestions: boolean }) {
  return (error: unknown, message: string): Error => {
    if (isOriginalGraphQLError(error)) {
      const scrubbed = scrubMessage(error.message);
      if (scrubbed !== undefined) {
        const message = options.hideSuggestions ? hideSuggestions(scrubbed) : scrubbed;
        const extensions = keptExtensions(error.extensions);
        extensions.code ??= requestErrorCode(error);
        // Unchanged: the same error (Yoga logs every error its masking replaced).
        if (
          message === error.message &&
          Object.keys(extensions).length === Object.keys(error.extensions ?? {}).length
        ) {
          return error;
        }
        // Yoga answers a request error that came with an `originalError` (invalid JSON) with its
        // status even to application/json clients; without that extension it would answer 200.
        const http = extensions.http as { spec?: boolean } | undefined;
        if (
          http?.spec &&
          error.extensions?.originalError &&
          !(error.extensions.originalError instanceof GraphQLError)
        ) {
          extensions.http = { ...http, spec: false };
        }
        return new GraphQLError(message, {
          nodes: error.nodes,
          source: error.source,
          positions: error.positions,
          path: error.path,
          extensions,
        });
      }
    }
    // A subgraph that could not be reached (connection refused, reset, timed out): say which, not where.
    if (error instanceof GraphQLError && UPSTREAM_CODES.has(String(error.extensions?.code))) {
      const service = typeof error.extensions?.serviceName === 'string' ? error.extensions.serviceName : 'a';
      log.warn({ err: error, service }, 'a subgraph could not be reached');
      return new GraphQLError(`the ${service} service could not be reached; retry shortly`, {
        path: error.path,
        extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true, serviceName: service },
      });
    }
    log.error({ err: error }, 'unexpected error in a GraphQL operation (masked)');
    const http = error instanceof GraphQLError ? error.extensions?.http : undefined;
    return new GraphQLError(message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR', ...(http ? { http } : {}) },
    });
  };
}
