import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { AppError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';
import { hideSuggestions, LIMIT_CODE_SET, scrubMessage, tokenLimitMessage } from './limits.ts';

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

export interface FormatErrorOptions {
  /** Introspection is off: "Did you mean …?" hints (schema members) are removed from messages. */
  hideSuggestions?: boolean;
}

/**
 * Client mistakes keep their message and code; anything else becomes a generic
 * INTERNAL_SERVER_ERROR (logged with its stack here, never sent to the client). Refusals by the
 * abuse limits keep their own code (Apollo reports them as GRAPHQL_VALIDATION_FAILED). No message
 * leaves with a URL, address, file path, stack frame or SQL in it.
 */
export function createFormatError(log: Logger, options: FormatErrorOptions = {}) {
  const format = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return {
        ...formatted,
        message: original.message,
        extensions: { code: original.code, retryable: original.retryable },
      };
    }
    const limitCode = limitCodeOf(error) ?? limitCodeOf(original);
    if (limitCode) return { ...formatted, extensions: { code: limitCode } };
    const tokens = tokenLimitMessage(formatted.message);
    if (tokens) return { ...formatted, message: tokens, extensions: { code: 'TOO_MANY_TOKENS' } };
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
    if (CLIENT_CODES.has(code) || LIMIT_CODE_SET.has(code)) return { ...formatted, extensions: { code } };
    log.error({ err: original }, 'unexpected error in a GraphQL operation');
    return internal(formatted);
  };
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    let message = scrubMessage(result.message);
    if (message === undefined) {
      log.error({ err: unwrapResolverError(error) }, 'an error message with internals was masked');
      return internal(result);
    }
    if (options.hideSuggestions) message = hideSuggestions(message);
    return { ...result, message };
  };
}

function internal(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return {
    message: 'internal error',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** The code of an abuse-limit refusal, on the error or the one Apollo wrapped (`originalError`). */
function limitCodeOf(error: unknown): string | undefined {
  for (
    let e = error as { extensions?: { code?: unknown }; originalError?: unknown } | undefined, i = 0;
    e && i < 3;
    i++
  ) {
    const code = e.extensions?.code;
    if (typeof code === 'string' && LIMIT_CODE_SET.has(code)) return code;
    e = e.originalError as typeof e;
  }
  return undefined;
}
