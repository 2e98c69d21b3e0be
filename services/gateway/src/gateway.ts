import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { type Logger, loadConfig } from '@assay/kit';
import { type Caller, CONTEXT_HEADER } from '@assay/kit/auth';
import { SUBGRAPHS } from '@assay/kit/operations';
import type { Telemetry } from '@assay/kit/telemetry';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { ExecutionArgs } from 'graphql';
import type { OperationResult } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Access } from './access/access.ts';
import { statusHandler } from './status.ts';

export const SUPERGRAPH_PATH = join(import.meta.dirname, '..', '..', '..', 'schema', 'supergraph.graphql');

const VARIABLES = [
  'DATABASE_URL',
  'LOG_LEVEL',
  'ASSAY_HOST',
  'ASSAY_GATEWAY_PORT',
  'ASSAY_GRAPHQL_MAX_DEPTH',
  'ASSAY_GRAPHQL_INTROSPECTION',
  'ASSAY_CONTEXT_SECRET',
  'ASSAY_JWKS_URL',
  'ASSAY_JWT_ISSUER',
  'ASSAY_JWT_AUDIENCE',
  'ASSAY_JWT_TENANT_CLAIM',
  'ASSAY_JWT_SCOPE_CLAIM',
  'ASSAY_API_KEY_CACHE_MS',
  ...SUBGRAPHS.flatMap((s) => [s.portVariable, s.urlVariable]),
] as const;

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;

export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(VARIABLES, env);
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
 * `/graphql` path, an IDE that works offline, and limits on depth, aliases, tokens and cost.
 * Subscriptions reach subgraphs over graphql-ws (Apollo Server subgraphs do not speak SSE).
 */
export function createGateway(
  config: GatewayConfig,
  access: Access,
  log: Logger,
  telemetry?: Telemetry,
): Server {
  const urls = subgraphUrls(config);
  const gateway = createGatewayRuntime({
    supergraph: readFileSync(SUPERGRAPH_PATH, 'utf8'),
    logging: hiveLogLevel(config.LOG_LEVEL),
    landingPage: false,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    readinessCheckEndpoint: '/readyz',
    graphiql: config.ASSAY_GRAPHQL_INTROSPECTION ? { title: 'Assay' } : false,
    renderGraphiQL,
    disableIntrospection: config.ASSAY_GRAPHQL_INTROSPECTION ? undefined : { disableIf: () => true },
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
      access.plugin,
      maxDepthPlugin({ n: config.ASSAY_GRAPHQL_MAX_DEPTH, flattenFragments: true }),
      maxAliasesPlugin({ n: 15 }),
      maxTokensPlugin({ n: 2000 }),
      costLimitPlugin({ maxCost: 5000 }),
    ],
  });

  const server = createServer((req, res) => {
    if (req.url === '/metrics' && telemetry) return telemetry.prometheus.getMetricsRequestHandler(req, res);
    if (req.url === '/status' && req.method === 'GET') return void statusHandler(res, urls);
    return gateway(req, res);
  });

  const sockets = new WebSocketServer({ server, path: '/graphql' });
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
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = gateway.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          caller: (ctx.extra as SocketExtra).caller,
        });
        const args = {
          schema,
          operationName: payload.operationName,
          document: parse(payload.query),
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
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
