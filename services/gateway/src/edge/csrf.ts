import { LIMIT_CODES, limitError } from '@assay/kit/limits';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';

/** Content types a browser may POST cross-origin without a CORS preflight ("simple" requests). */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/** Any of these headers makes a request non-simple (a browser preflights it, so CORS decides). */
export const CSRF_HEADERS = [
  'x-graphql-csrf',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'graphql-preflight',
];

/**
 * CSRF prevention: a POST a browser could send from another site's form (a simple content type, or
 * none) runs only with one of CSRF_HEADERS; otherwise 403 CSRF_PREVENTED before it is parsed.
 * JSON POSTs (always preflighted cross-origin) and GET queries (read-only: Yoga refuses mutations
 * over GET with 405) pass, so plain GraphQL-over-HTTP clients need nothing.
 */
export function csrfPlugin(): GatewayPlugin {
  return {
    onRequestParse({ request }) {
      if (request.method !== 'POST') return;
      const type = (request.headers.get('content-type') ?? '').toLowerCase().trim();
      const simple = type === '' || SIMPLE_CONTENT_TYPES.some((t) => type.startsWith(t));
      if (!simple || CSRF_HEADERS.some((h) => request.headers.has(h))) return;
      throw limitError(
        'csrf',
        `POST requests with content type "${type || 'none'}" need one of the headers ${CSRF_HEADERS.join(', ')} (or send application/json). (${LIMIT_CODES.csrf})`,
      );
    },
  };
}
