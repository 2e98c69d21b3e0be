// The floors of `npm run bench -- gateway`: what a gateway process costs before anything of ours.
//   --kind hive   Hive Gateway on the same supergraph and query planner, with nothing else: no
//                 telemetry, no access, no limits, CSRF, masking or rate limit, no graphql-ws. It
//                 forwards the signed context in BENCH_CONTEXT as a fixed header.
//   --kind proxy  no GraphQL at all: node:http takes each request and sends its body on to the
//                 scoring subgraph over keep-alive connections, and the answer back. No process
//                 between a client and a subgraph on the same cores can cost less.
// Prints "gateway ready at <url>" once it listens on ASSAY_GATEWAY_PORT.
import { readFileSync } from 'node:fs';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { CONTEXT_HEADER } from '@assay/kit/auth';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { loadGatewayConfig, SUPERGRAPH_PATH, subgraphUrls } from '../../services/gateway/src/gateway.ts';
import { hybridGraphHandler } from '../../services/gateway/src/planner.ts';

const { values: flags } = parseArgs({ options: { kind: { type: 'string', default: 'hive' } } });
const context = process.env.BENCH_CONTEXT ?? '';
if (!context) throw new Error('BENCH_CONTEXT (a signed context for the subgraphs) is required');
const scoring = new URL(`http://127.0.0.1:${process.env.ASSAY_SCORING_PORT}/graphql`);

const server = createServer(
  flags.kind === 'proxy' ? proxy() : flags.kind === 'hive' ? hive() : unknownKind(flags.kind),
);
server.listen(Number(process.env.ASSAY_GATEWAY_PORT), '127.0.0.1', () =>
  console.log(`gateway ready at http://127.0.0.1:${process.env.ASSAY_GATEWAY_PORT}/graphql`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));

function hive() {
  const urls = subgraphUrls(loadGatewayConfig());
  return createGatewayRuntime({
    supergraph: readFileSync(SUPERGRAPH_PATH, 'utf8'),
    unifiedGraphHandler: hybridGraphHandler,
    logging: false,
    landingPage: false,
    graphiql: false,
    graphqlEndpoint: '/graphql',
    transportEntries: {
      ...Object.fromEntries(Object.entries(urls).map(([name, location]) => [name, { location }])),
      '*.http': { headers: [[CONTEXT_HEADER, context]] },
    },
  });
}

function proxy() {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  return (req: IncomingMessage, res: ServerResponse) => {
    const upstream = request(
      {
        agent,
        hostname: scoring.hostname,
        port: scoring.port,
        path: scoring.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          // As it came; without one, the body goes on chunked.
          ...(req.headers['content-length'] ? { 'content-length': req.headers['content-length'] } : {}),
          [CONTEXT_HEADER]: context,
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
        answer.pipe(res);
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  };
}

function unknownKind(kind: string | undefined): never {
  throw new Error(`--kind is hive or proxy, not ${JSON.stringify(kind)}`);
}
