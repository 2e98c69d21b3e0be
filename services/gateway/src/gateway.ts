import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type Logger, loadConfig } from '@assay/kit';
import { type Caller, CONTEXT_HEADER } from '@assay/kit/auth';
import { graphqlLimits, introspectionEnabled } from '@assay/kit/limits';
import { SUBGRAPHS } from '@assay/kit/operations';
import type { Telemetry } from '@assay/kit/telemetry';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Access } from './access/access.ts';
import { csrfPlugin } from './edge/csrf.ts';
import { corsFromAllowList, setEdgeHeaders } from './edge/http-edge.ts';
import { armorPlugins, operationTimeoutPlugin, requestLimitsPlugin } from './edge/limits.ts';
import { createMaskError } from './edge/mask-errors.ts';
import { RateLimiter, rateLimitPlugin } from './edge/rate-limit.ts';
import { TrustedDocuments, trustedDocumentsPlugin } from './edge/trusted-documents.ts';
import { hybridGraphHandler } from './planner.ts';
import { statusHandler } from './status.ts';

export const SUPERGRAPH_PATH = join(import.meta.dirname, '..', '..', '..', 'schema', 'supergraph.graphql');

const VARIABLES = [
  'DATABASE_URL',
  'LOG_LEVEL',
  'ASSAY_HOST',
  'ASSAY_GATEWAY_PORT',
  'ASSAY_GRAPHQL_MAX_DEPTH',
  'ASSAY_GRAPHQL_INTROSPECTION',
  'ASSAY_GRAPHQL_TIMEOUT_MS',
  'ASSAY_RATE_LIMIT_PER_MINUTE',
  'ASSAY_CORS_ORIGINS',
  'ASSAY_CORS_CREDENTIALS',
  'ASSAY_CONTEXT_SECRET',
  'ASSAY_JWKS_URL',
  'ASSAY_JWT_ISSUER',
  'ASSAY_JWT_AUDIENCE',
  'ASSAY_JWT_TENANT_CLAIM',
  'ASSAY_JWT_SCOPE_CLAIM',
  'ASSAY_API_KEY_CACHE_MS',
  'ASSAY_TRUSTED_DOCUMENTS',
  ...SUBGRAPHS.flatMap((s) => [s.portVariable, s.urlVariable]),
] as const;

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  return { ...loadConfig(VARIABLES, env), NODE_ENV: env.NODE_ENV };
}

/** Where each subgraph is reached: its ASSAY_*_URL, else localhost on its ASSAY_*_PORT. */
export function subgraphUrls(config: GatewayConfig): Record<string, string> {
  return Object.fromEntries(
    SUBGRAPHS.map((s) => [
      s.name,
      config[s.urlVariable] ?? `http://127.0.0.1:${config[s.portVariable]}/graphql`,
    ]),
  );
}

/**
 * Hive Gateway on the checked-in supergraph: GraphQL over HTTP (and SSE) plus graphql-ws on the same
 * `/graphql` path, an IDE that works offline (off in production unless enabled), and the edge:
 * the shared abuse limits (`@assay/kit/limits`, each refusal with its own code), a per-caller rate
 * limit, CSRF prevention, CORS from an allow-list, error masking, security headers, and with
 * `ASSAY_TRUSTED_DOCUMENTS` only the manifest's documents (edge/trusted-documents.ts).
 * Subscriptions reach subgraphs over graphql-ws (Apollo Server subgraphs do not speak SSE).
 */
export function createGateway(
  config: GatewayConfig,
  access: Access,
  log: Logger,
  telemetry?: Telemetry,
  options: { planner?: 'router' | 'stitching' } = {},
): Server {
  const urls = subgraphUrls(config);
  const limits = graphqlLimits(config);
  const introspection = introspectionEnabled(config.ASSAY_GRAPHQL_INTROSPECTION, config.NODE_ENV);
  const maskError = createMaskError(log, { hideSuggestions: !introspection });
  const limiter = new RateLimiter(config.ASSAY_RATE_LIMIT_PER_MINUTE);
  const trusted = config.ASSAY_TRUSTED_DOCUMENTS
    ? TrustedDocuments.load(config.ASSAY_TRUSTED_DOCUMENTS)
    : undefined;
  const gateway = createGatewayRuntime({
    supergraph: readFileSync(SUPERGRAPH_PATH, 'utf8'),
    // Hive Router's query planner for the supergraph's operations (see planner.ts); `stitching`,
    // Hive Gateway's default, only for the bench's comparison.
    ...(options.planner === 'stitching' ? {} : { unifiedGraphHandler: hybridGraphHandler }),
    logging: hiveLogLevel(config.LOG_LEVEL),
    landingPage: false,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    readinessCheckEndpoint: '/readyz',
    graphiql: introspection ? { title: 'Assay' } : false,
    renderGraphiQL,
    disableIntrospection: introspection ? undefined : { disableIf: () => true },
    cors: corsFromAllowList(config.ASSAY_CORS_ORIGINS ?? [], config.ASSAY_CORS_CREDENTIALS),
    maskedErrors: { maskError, errorMessage: 'internal error' },
    // Yoga's own batch check comes after ours (BATCH_TOO_LARGE), at the same limit.
    batching: { limit: limits.maxBatch },
    // No upstream cancellation (Hive's default): it hung a combined abort signal (listeners, weak
    // references, a finalizer) on every subgraph request, ≈ 0.4 ms of the gateway's CPU per request
    // (≈ 28 %) and more for the subgraph (`npm run bench -- gateway`). A client that goes away no
    // longer cancels the subgraph requests already sent: they end within the subgraph's own time limit.
    additionalTypeDefs: access.typeDefs,
    additionalResolvers: access.resolvers,
    // Every subgraph request carries the caller, signed (see access/access-plugin.ts).
    transportEntries: {
      ...Object.fromEntries(SUBGRAPHS.map((s) => [s.name, { location: urls[s.name] }])),
      '*.http': {
        headers: [[CONTEXT_HEADER, '{context.assayContext}']],
        options: {
          subscriptions: {
            kind: 'ws',
            location: '/graphql',
            options: { connectionParams: { [CONTEXT_HEADER]: '{context.assayContext}' } },
          },
        },
      },
    },
    plugins: () => [
      csrfPlugin(),
      requestLimitsPlugin(limits),
      access.plugin,
      // After access: keyed by the caller it authenticated.
      rateLimitPlugin(limiter),
      ...(trusted ? [trustedDocumentsPlugin(trusted)] : []),
      ...armorPlugins(limits, { hideSuggestions: !introspection }),
      operationTimeoutPlugin(limits),
    ],
  });

  const server = createServer((req, res) => {
    setEdgeHeaders(req, res, introspection);
    if (req.url === '/metrics' && telemetry) return telemetry.prometheus.getMetricsRequestHandler(req, res);
    if (req.url === '/status' && req.method === 'GET') return void statusHandler(res, urls);
    return gateway(req, res);
  });

  // A graphql-ws message is held to the same size as an HTTP body (ws allows 100 MiB by default).
  const sockets = new WebSocketServer({ server, path: '/graphql', maxPayload: limits.maxBodyBytes });
  useServer(
    {
      // A socket is authenticated once, by the credential in `connection_init` (4403 otherwise).
      onConnect: async (ctx) => {
        try {
          const authorization = ctx.connectionParams?.authorization;
          (ctx.extra as SocketExtra).caller = await access.authenticator.authenticate(
            typeof authorization === 'string' ? authorization : undefined,
          );
          return true;
        } catch {
          return false;
        }
      },
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      // A refused operation (syntax, limits, rate) gets an `error` message for its id; the socket and
      // its other subscriptions go on (a throw here would close the whole socket with 4500).
      onSubscribe: async (ctx, _id, payload) => {
        try {
          const { schema, execute, subscribe, contextFactory, parse, validate } = gateway.getEnveloped({
            ...ctx,
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            params: payload,
            caller: (ctx.extra as SocketExtra).caller,
          });
          const document = parse(trusted ? trusted.resolve(payload) : payload.query);
          const errors = validate(schema, document);
          if (errors.length > 0)
            return errors.map((e: GraphQLError) => socketError(e, 'GRAPHQL_VALIDATION_FAILED', maskError));
          return {
            schema,
            operationName: payload.operationName,
            document,
            variableValues: payload.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe },
          };
        } catch (error) {
          return [socketError(error, 'GRAPHQL_PARSE_FAILED', maskError)];
        }
      },
    },
    sockets,
  );
  server.on('close', () => {
    sockets.close();
    void gateway.dispose();
  });
  log.debug({ subgraphs: urls }, 'gateway configured');
  return server;
}

/**
 * An operation's refusal over graphql-ws, masked as over HTTP: a refusal keeps its own code, a
 * GraphQL error without one gets `fallbackCode` (a syntax or validation error), HTTP hints are dropped.
 */
function socketError(
  error: unknown,
  fallbackCode: string,
  maskError: (error: unknown, message: string) => Error,
): GraphQLError {
  const masked = maskError(error, 'internal error') as GraphQLError;
  const { http: _http, code, ...extensions } = masked.extensions ?? {};
  return new GraphQLError(masked.message, {
    nodes: masked.nodes,
    source: masked.source,
    positions: masked.positions,
    extensions: { ...extensions, code: code ?? fallbackCode },
  });
}

/** Hive's logger knows debug/info/warn/error; pino's fatal and silent map onto error and off. */
function hiveLogLevel(level: string): 'debug' | 'info' | 'warn' | 'error' | false {
  if (level === 'silent') return false;
  if (level === 'trace') return 'debug';
  if (level === 'fatal') return 'error';
  return level as 'debug' | 'info' | 'warn' | 'error';
}

interface SocketExtra {
  caller?: Caller;
}

/** The envelop executors `onSubscribe` hands to graphql-ws through `rootValue`. */
interface Enveloped {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}
