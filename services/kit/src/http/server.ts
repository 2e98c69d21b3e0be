import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { Health } from './health.ts';

export interface ServiceServerOptions<C extends BaseContext> {
  apollo: ApolloServer<C>;
  context: (req: IncomingMessage) => Promise<C>;
  health: Health;
  prometheus?: PrometheusExporter;
  /** Largest request body accepted, in bytes; larger gets 413 with a GraphQL-shaped error. */
  bodyLimit?: number;
}

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

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
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
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
      }
      const response = await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
        context: () => options.context(req),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') return res.end(response.body.string);
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return graphqlError(res, 413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`);
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
