import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  specifiedRules,
  validate,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logging/logger.ts';
import { createFormatError } from './format-error.ts';
import {
  DEFAULT_LIMITS,
  type GraphQLLimits,
  LIMIT_CODE_SET,
  limitValidationRules,
  parseWithLimits,
} from './limits.ts';

export const DEFAULT_WS_MAX_PAYLOAD = 1024 * 1024;

export interface SubscriptionServerOptions {
  log: Logger;
  path?: string;
  /** Largest WebSocket message accepted, in bytes; a bigger one closes the socket (1009). */
  maxPayload?: number;
  /** Ping interval; a peer that has not answered by the next ping is dropped. */
  keepAliveMs?: number;
  /** How long a new socket may take to send `connection_init`. */
  connectionInitTimeoutMs?: number;
  /** How long clients get to close after "going away" on dispose before their sockets are destroyed. */
  closeGraceMs?: number;
  /**
   * The operation context for a socket's `connection_init` payload, or null to refuse the socket
   * (closed with 4403 before any subscription runs).
   */
  authenticate: (params: Readonly<Record<string, unknown>> | undefined) => object | null;
  /** The shared abuse limits, as on HTTP (default DEFAULT_LIMITS). */
  limits?: GraphQLLimits;
  /** How errors are shaped (default: the kit's, without hiding suggestions). */
  formatError?: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}

export interface SubscriptionServer {
  dispose(): Promise<void>;
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    extensions: { code },
  });
}

const codeOf = (error: GraphQLError) => {
  const code = error.extensions?.code;
  return typeof code === 'string' && LIMIT_CODE_SET.has(code) ? code : undefined;
};

/**
 * Parsed and validated here, with the same limits as on HTTP, so a bad document gets an `error`
 * message for its operation rather than a closed socket (the socket's other subscriptions go on).
 */
function prepare(
  schema: GraphQLSchema,
  payload: SubscribePayload,
  contextValue: object,
  limits: GraphQLLimits,
): ExecutionArgs | GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parseWithLimits(payload.query, limits);
  } catch (error) {
    if (error instanceof GraphQLError) return [withCode(error, codeOf(error) ?? 'GRAPHQL_PARSE_FAILED')];
    throw error;
  }
  const errors = validate(schema, document, [...specifiedRules, ...limitValidationRules(limits)]);
  if (errors.length > 0) return errors.map((e) => withCode(e, codeOf(e) ?? 'GRAPHQL_VALIDATION_FAILED'));
  return {
    schema,
    document,
    operationName: payload.operationName,
    variableValues: payload.variables,
    contextValue,
  };
}

/**
 * GraphQL subscriptions over graphql-ws (`graphql-transport-ws`) on the service's own HTTP server and
 * path: the gateway reaches subgraph subscriptions there. Queries and mutations stay on HTTP, where
 * Apollo Server applies its CSRF prevention and limits; over the socket they are refused.
 * Errors are shaped as on HTTP (client mistakes keep code and message, the rest is masked).
 */
export function attachSubscriptions(
  server: Server,
  schema: GraphQLSchema,
  options: SubscriptionServerOptions,
): SubscriptionServer {
  const path = options.path ?? '/graphql';
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload ?? DEFAULT_WS_MAX_PAYLOAD,
  });
  const formatError = options.formatError ?? createFormatError(options.log);
  const limits = options.limits ?? DEFAULT_LIMITS;
  const format = (errors: readonly GraphQLError[]) => errors.map((e) => formatError(e.toJSON(), e));
  const disposable = useServer(
    {
      schema,
      connectionInitWaitTimeout: options.connectionInitTimeoutMs ?? 3000,
      onConnect: (ctx) => {
        const context = options.authenticate(ctx.connectionParams);
        if (!context) return false;
        (ctx.extra as { context?: object }).context = context;
        return true;
      },
      onSubscribe: (ctx, _id, payload) =>
        prepare(schema, payload, (ctx.extra as { context?: object }).context ?? {}, limits),
      execute: () => ({
        errors: [
          new GraphQLError(
            'only subscriptions are served over WebSocket; send queries and mutations over HTTP',
            {
              extensions: { code: 'BAD_REQUEST' },
            },
          ),
        ],
      }),
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors) return;
        // Without a path or a cause, an error is about the request itself (e.g. its variables).
        const errors = result.errors.map((e) =>
          e.path || e.originalError || e.extensions.code ? e : withCode(e, 'BAD_USER_INPUT'),
        );
        return { ...result, errors: format(errors) };
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wss,
    options.keepAliveMs,
  );

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(request.url ?? '/', 'http://local').pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);

  return {
    async dispose() {
      server.off('upgrade', onUpgrade);
      // graphql-ws closes every socket with 1001 (the gateway resubscribes elsewhere) and waits for them.
      const force = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, options.closeGraceMs ?? 1000);
      try {
        await disposable.dispose();
      } finally {
        clearTimeout(force);
      }
    },
  };
}
