import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { AppError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';

const CLIENT_CODES = new Set([
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

interface ValidationDetail {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationDetail[];
}

function describeValidation(errors: ValidationDetail[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => (prefix ? `${prefix}.${m}` : m)),
    ...describeValidation(e.children ?? [], prefix ? `${prefix}.${e.property}` : e.property),
  ]);
}

/**
 * Client mistakes keep their message and code; anything else becomes a generic
 * INTERNAL_SERVER_ERROR (logged with its stack here, never sent to the client).
 */
export function createFormatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return {
        ...formatted,
        message: original.message,
        extensions: { code: original.code, retryable: original.retryable },
      };
    }
    // type-graphql's ArgumentValidationError carries class-validator's findings in extensions.
    const validation = (original as { extensions?: { validationErrors?: ValidationDetail[] } } | undefined)
      ?.extensions?.validationErrors;
    if (validation) {
      return {
        ...formatted,
        message: `invalid input: ${describeValidation(validation).join('; ')}`,
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    const code = String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
    if (CLIENT_CODES.has(code)) return { ...formatted, extensions: { code } };
    log.error({ err: original }, 'unexpected error in a GraphQL operation');
    return {
      message: 'internal error',
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
