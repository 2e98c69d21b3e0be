import { armorOptions, type GraphQLLimits, LIMIT_CODES, limitError } from '@assay/kit/limits';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import type { ExecutionResult } from 'graphql';

/**
 * graphql-armor's protections on the shared limits (`@assay/kit/limits`), each refusal with its own
 * code; "Did you mean …" hints hidden when introspection is off.
 */
export function armorPlugins(limits: GraphQLLimits, options: { hideSuggestions: boolean }): GatewayPlugin[] {
  const armor = armorOptions(limits);
  return [
    maxTokensPlugin(armor.maxTokens),
    maxDepthPlugin(armor.maxDepth),
    costLimitPlugin(armor.costLimit),
    maxAliasesPlugin(armor.maxAliases),
    maxDirectivesPlugin(armor.maxDirectives),
    ...(options.hideSuggestions ? [blockFieldSuggestionsPlugin({ mask: '' })] : []),
  ] as GatewayPlugin[];
}

/** Reads a request body through a counter: past `limit` bytes it fails with PAYLOAD_TOO_LARGE. */
function limitBody(
  request: Request,
  limit: number,
  fetchAPI: { Request: typeof Request; TransformStream: typeof TransformStream },
): Request {
  const body = request.body;
  if (!body) return request;
  // A native stream needs the native TransformStream, a ponyfilled one the ponyfill (as Yoga does).
  const Transform = body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let read = 0;
  const limited = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > limit) controller.error(tooLarge(limit));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: limited,
    duplex: 'half',
  } as RequestInit);
}

const tooLarge = (limit: number) =>
  limitError('body', `Request body limit of ${limit} bytes exceeded. (${LIMIT_CODES.body})`);

/**
 * The request body limit (413 PAYLOAD_TOO_LARGE), by Content-Length when given and by counting
 * otherwise (chunked uploads); and the batch limit (413 BATCH_TOO_LARGE). Both before Yoga's own
 * checks, which have other codes and a larger body limit.
 */
export function requestLimitsPlugin(limits: GraphQLLimits): GatewayPlugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const length = request.headers.get('content-length');
      const declared = length !== null && /^\d+$/.test(length);
      if (declared && Number(length) > limits.maxBodyBytes) {
        throw tooLarge(limits.maxBodyBytes);
      }
      // A declared length within the limit needs no counting: HTTP/1.1 framing ends the body at
      // Content-Length bytes (Node's parser reads no further), so only a chunked body is counted.
      if (requestParser && request.body && !declared) {
        const parse = requestParser;
        setRequestParser((req) => parse(limitBody(req, limits.maxBodyBytes, fetchAPI as never)));
      }
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult) && requestParserResult.length > limits.maxBatch) {
            throw limitError(
              'batch',
              `Batch limit of ${limits.maxBatch} operations exceeded, found ${requestParserResult.length}. (${LIMIT_CODES.batch})`,
            );
          }
        },
      };
    },
  };
}

/**
 * A query or mutation still running after `operationTimeoutMs` is answered with OPERATION_TIMEOUT
 * (HTTP 504) at once; requests it already sent to subgraphs run to their end (each subgraph has the same
 * time limit of its own), as they do when the client goes away (see `createGateway`).
 * Subscriptions are not limited.
 */
export function operationTimeoutPlugin(limits: GraphQLLimits): GatewayPlugin {
  return {
    onExecute({ executeFn, setExecuteFn }) {
      setExecuteFn(async (args) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<ExecutionResult>((resolve) => {
          timer = setTimeout(
            () =>
              resolve({
                errors: [
                  limitError(
                    'timeout',
                    `Operation time limit of ${limits.operationTimeoutMs} ms exceeded. (${LIMIT_CODES.timeout})`,
                  ),
                ],
              }),
            limits.operationTimeoutMs,
          );
        });
        try {
          return await Promise.race([executeFn(args) as Promise<ExecutionResult>, timeout]);
        } finally {
          clearTimeout(timer);
        }
      });
    },
  };
}
