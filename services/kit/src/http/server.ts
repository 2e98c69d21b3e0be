import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { DEFAULT_LIMITS, type GraphQLLimits, LIMIT_CODES } from '../graphql/limits.ts';
import type { Health } from './health.ts';

export interface ServiceServerOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  context: (req: IncomingMessage) => Promise<C>;
  health: Health;
  prometheus?: PrometheusExporter;
  /**
   * The shared limits (default DEFAULT_LIMITS): a body over `maxBodyBytes` gets 413
   * PAYLOAD_TOO_LARGE, a batch over `maxBatch` 413 BATCH_TOO_LARGE, an operation still running after
   * `operationTimeoutMs` 504 OPERATION_TIMEOUT.
   */
  limits?: GraphQLLimits;
}

export const DEFAULT_BODY_LIMIT = DEFAULT_LIMITS.maxBodyBytes;

/**
 * Sent with every response of every Assay HTTP server (the gateway's IDE page relaxes only the CSP).
 * GraphQL responses are never cached: they are per caller.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'cache-control': 'no-store',
};

export function setSecurityHeaders(
  res: ServerResponse,
  headers: Readonly<Record<string, string>> = SECURITY_HEADERS,
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

class OperationTimeout extends Error {}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function graphqlError(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { errors: [{ message, extensions: { code } }] });
}

/**
 * One HTTP server per subgraph: `/graphql` (Apollo Server over node:http, no framework),
 * `/healthz` (alive), `/readyz` (dependencies), `/metrics` (Prometheus).
 */
export function createServiceServer<C extends BaseContext>(options: ServiceServerOptions<C>): Server {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const limit = limits.maxBodyBytes;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    setSecurityHeaders(res);
    try {
      if (url.pathname === '/healthz') return json(res, 200, { status: 'ok' });
      if (url.pathname === '/readyz') {
        const readiness = await options.health.readiness();
        return json(res, readiness.ready ? 200 : 503, readiness);
      }
      if (url.pathname === '/metrics' && options.prometheus) {
        return options.prometheus.getMetricsRequestHandler(req, res);
      }
      if (url.pathname !== '/graphql') return json(res, 404, { error: 'not found' });

      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      let body: unknown;
      if (req.method === 'POST') {
        const text = await readBody(req, limit);
        if (!(headers.get('content-type') ?? '').includes('application/json')) {
          return graphqlError(res, 415, 'BAD_REQUEST', 'send GraphQL requests as application/json');
        }
        try {
          body = JSON.parse(text);
        } catch {
          return graphqlError(res, 400, 'BAD_REQUEST', 'the request body is not valid JSON');
        }
        if (Array.isArray(body) && body.length > limits.maxBatch) {
          return graphqlError(
            res,
            413,
            LIMIT_CODES.batch,
            `Batch limit of ${limits.maxBatch} operations exceeded, found ${body.length}. (${LIMIT_CODES.batch})`,
          );
        }
      }
      let timer: NodeJS.Timeout | undefined;
      const response = await Promise.race([
        options.apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
          context: () => options.context(req),
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new OperationTimeout()), limits.operationTimeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') return res.end(response.body.string);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return graphqlError(
          res,
          413,
          LIMIT_CODES.body,
          `Request body limit of ${limit} bytes exceeded. (${LIMIT_CODES.body})`,
        );
      }
      if (error instanceof OperationTimeout) {
        return graphqlError(
          res,
          504,
          LIMIT_CODES.timeout,
          `Operation time limit of ${limits.operationTimeoutMs} ms exceeded. (${LIMIT_CODES.timeout})`,
        );
      }
      if (!res.headersSent) graphqlError(res, 500, 'INTERNAL_SERVER_ERROR', 'internal error');
      else res.destroy();
    }
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;
  return server;
}

/** Listens, turning EADDRINUSE into a one-line error a person can act on. */
export function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} on ${host} is already in use; choose another with its ASSAY_*_PORT variable`,
            )
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
