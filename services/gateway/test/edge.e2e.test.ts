import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_LIMITS } from '@assay/kit/limits';
import {
  connectionParamsFor,
  createTestDatabase,
  credentialsFor,
  FakeOpenAI,
  freePort,
  gql,
  runScript,
  type Started,
  systemPorts,
} from '@assay/kit/testing';
import { envelop, useEngine, useSchema } from '@envelop/core';
import {
  execute,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { type Client, createClient, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { operationTimeoutPlugin } from '../src/edge/limits.ts';

// The whole system as `npm start` runs it, in production mode (introspection and the IDE off), with a
// CORS allow-list, a small rate limit, and the scoring subgraph "reached" at a closed port, so the
// gateway's answer about an unreachable upstream can be checked for leaks.

const ALLOWED_ORIGIN = 'https://app.example.com';
const RATE_PER_MINUTE = 150;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let openai: FakeOpenAI;
let system: Started;
let url: string;
let upstream: string;
before(async () => {
  database = await createTestDatabase();
  openai = await FakeOpenAI.start();
  openai.otherwise({ kind: 'hang' }); // a review stays RUNNING until it is cancelled
  upstream = `http://127.0.0.1:${await freePort()}/secret-upstream/graphql`;
  system = runScript('scripts/start.ts', {
    DATABASE_URL: database.url,
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: openai.url,
    NODE_ENV: 'production',
    ASSAY_CORS_ORIGINS: `${ALLOWED_ORIGIN}, https://other.example.com`,
    ASSAY_RATE_LIMIT_PER_MINUTE: String(RATE_PER_MINUTE),
    ...(await systemPorts()),
    ASSAY_SCORING_URL: upstream,
  });
  url = (await system.waitFor(/Assay is ready: (\S+)/, 180_000))[1]!;
});
after(async () => {
  if (system && system.child.exitCode === null) system.child.kill('SIGTERM');
  await system?.exited;
  await openai?.close();
  await database?.drop();
});

type Errors = { message: string; extensions?: { code?: string } }[];
const codes = (r: { errors?: Errors }) => r.errors?.map((e) => e.extensions?.code);

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...credentialsFor(url), ...headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: JSON.parse(text) as { errors?: Errors },
  };
}

describe('limits, each with its own code', () => {
  it('depth, cost, aliases, tokens and directives', async () => {
    const parents = (n: number) => `${'parentRun { '.repeat(n)}id${' }'.repeat(n)}`;
    const deep = await gql(url, `{ reviewRuns(first: 1) { nodes { ${parents(10)} } } }`);
    assert.deepEqual(codes(deep), ['QUERY_TOO_DEEP']);
    assert.match(deep.errors![0]!.message, new RegExp(`depth limit of ${DEFAULT_LIMITS.maxDepth} exceeded`));

    const costly = await gql(
      url,
      '{ reviewRuns(first: 1000) { nodes { id status idea model progressPct attempt createdAt updatedAt } } }',
    );
    assert.deepEqual(codes(costly), ['QUERY_TOO_COSTLY']);
    assert.match(costly.errors![0]!.message, /Query Cost limit of 5000 exceeded, found \d+/);
    assert.ok(!costly.errors![0]!.message.startsWith('Syntax Error'));

    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: personas { id }`).join(' ');
    const aliased = await gql(url, `{ ${aliases} }`);
    assert.deepEqual(codes(aliased), ['TOO_MANY_ALIASES']);
    assert.match(aliased.errors![0]!.message, /Aliases limit of 15 exceeded, found 16/);

    const tokens = await gql(url, `{ ${'__typename '.repeat(2100)} }`);
    assert.deepEqual(codes(tokens), ['TOO_MANY_TOKENS']);
    assert.match(tokens.errors![0]!.message, /Token limit of 2000 exceeded/);

    const directives = await gql(url, `{ ${'__typename @include(if: true) '.repeat(21)} }`);
    assert.deepEqual(codes(directives), ['TOO_MANY_DIRECTIVES']);
    assert.match(directives.errors![0]!.message, /Directives limit of 20 exceeded, found 21/);
  });

  it('batches of up to 10; 413 BATCH_TOO_LARGE beyond', async () => {
    const two = await post(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    assert.equal(two.status, 200);
    assert.deepEqual(JSON.parse(two.text), [
      { data: { __typename: 'Query' } },
      { data: { __typename: 'Query' } },
    ]);
    const eleven = await post(
      JSON.stringify(Array.from({ length: 11 }, () => ({ query: '{ __typename }' }))),
    );
    assert.equal(eleven.status, 413);
    assert.deepEqual(codes(eleven.json), ['BATCH_TOO_LARGE']);
    assert.match(eleven.json.errors![0]!.message, /Batch limit of 10 operations exceeded, found 11/);
  });

  it('413 PAYLOAD_TOO_LARGE over 16 MiB, by Content-Length and for a chunked upload', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(16 * 1024 * 1024) } });
    const declared = await post(big);
    assert.equal(declared.status, 413);
    assert.deepEqual(codes(declared.json), ['PAYLOAD_TOO_LARGE']);
    assert.match(declared.json.errors![0]!.message, /Request body limit of 16777216 bytes exceeded/);

    const bytes = new TextEncoder().encode(big);
    const chunked = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...credentialsFor(url) },
      body: new ReadableStream({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 1024 * 1024)
            controller.enqueue(bytes.slice(at, at + 1024 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 413);
    assert.deepEqual(codes((await chunked.json()) as { errors?: Errors }), ['PAYLOAD_TOO_LARGE']);

    const small = await post(
      JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(1024 * 1024) } }),
    );
    assert.equal(small.status, 200);
  });

  it('OPERATION_TIMEOUT (504) for an operation past its time limit (the gateway plugin, on a slow schema)', async () => {
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({
        name: 'Query',
        fields: {
          slow: { type: GraphQLString, resolve: () => sleep(2000).then(() => 'late') },
          fast: { type: GraphQLString, resolve: () => 'now' },
        },
      }),
    });
    const getEnveloped = envelop({
      plugins: [
        useEngine({ parse, validate, execute, specifiedRules }),
        useSchema(schema),
        operationTimeoutPlugin({ ...DEFAULT_LIMITS, operationTimeoutMs: 100 }),
      ],
    });
    const run = async (query: string) => {
      const { execute: run, schema: s } = getEnveloped();
      return JSON.parse(JSON.stringify(await run({ schema: s, document: parse(query) }))) as ExecutionResult;
    };
    assert.deepEqual(await run('{ fast }'), { data: { fast: 'now' } });
    const late = await run('{ slow }');
    assert.deepEqual(
      late.errors?.map((e) => [e.extensions?.code, (e.extensions?.http as { status?: number })?.status]),
      [['OPERATION_TIMEOUT', 504]],
    );
    assert.match(late.errors![0]!.message, /Operation time limit of 100 ms exceeded/);
  });
});

describe('edge hygiene', () => {
  it('refuses a form-encoded or text/plain mutation from a foreign origin (CSRF) and runs nothing', async () => {
    const idea = `csrf-${Date.now()}`;
    const mutation = `mutation { startReview(input: { idea: "${idea}" }) { id } }`;
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', new URLSearchParams({ query: mutation }).toString()],
      ['text/plain', JSON.stringify({ query: mutation })],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${mutation}\r\n--x--\r\n`,
      ],
    ] as const) {
      const refused = await post(body, { 'content-type': type, origin: 'https://evil.example' });
      assert.equal(refused.status, 403, type);
      assert.deepEqual(codes(refused.json), ['CSRF_PREVENTED'], type);
    }
    const viaGet = await fetch(`${url}?query=${encodeURIComponent(mutation)}`, {
      headers: { ...credentialsFor(url), accept: 'application/json', origin: 'https://evil.example' },
    });
    assert.equal(viaGet.status, 405);
    await viaGet.arrayBuffer();
    const runs = await gql(url, '{ reviewRuns(first: 50) { nodes { idea } } }');
    assert.equal(runs.errors, undefined, JSON.stringify(runs.errors));
    assert.ok(!JSON.stringify(runs.data).includes(idea), 'no review was started');
    // A GET query (read-only) needs no header.
    const query = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { ...credentialsFor(url), accept: 'application/json' },
    });
    assert.equal(query.status, 200);
    await query.arrayBuffer();
  });

  it('CORS only for listed origins, without credentials', async () => {
    const allowed = await post('{"query":"{ __typename }"}', { origin: ALLOWED_ORIGIN });
    assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_ORIGIN);
    assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
    const foreign = await post('{"query":"{ __typename }"}', { origin: 'https://evil.example' });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.equal(foreign.headers.get('access-control-allow-credentials'), null);
    for (const origin of [ALLOWED_ORIGIN, 'https://evil.example']) {
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      await preflight.arrayBuffer();
      assert.equal(
        preflight.headers.get('access-control-allow-origin'),
        origin === ALLOWED_ORIGIN ? ALLOWED_ORIGIN : null,
        origin,
      );
      assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
    }
  });

  it('in production: no introspection, no IDE, no "Did you mean" hints', async () => {
    const introspection = await gql(url, '{ __schema { types { name } } }');
    assert.equal(introspection.data ?? undefined, undefined);
    assert.ok(introspection.errors?.length);
    assert.ok(!JSON.stringify(introspection).includes('ScoringRun'));
    const ide = await fetch(url, { headers: { accept: 'text/html' } });
    assert.ok(!(ide.headers.get('content-type') ?? '').includes('text/html'));
    assert.ok(!(await ide.text()).includes('<html'));
    const typo = await gql(url, '{ personaz { id } }');
    assert.deepEqual(codes(typo), ['GRAPHQL_VALIDATION_FAILED']);
    assert.ok(!/Did you mean|"personas"/.test(typo.errors![0]!.message), typo.errors![0]!.message);
  });

  it('an unreachable upstream leaks no URL, address, path or stack', async () => {
    const response = await post('{"query":"{ scoringRuns(first: 1) { nodes { id } } }"}');
    assert.deepEqual(
      response.json.errors?.map((e) => [e.message, e.extensions?.code]),
      [['the scoring service could not be reached; retry shortly', 'SERVICE_UNAVAILABLE']],
      response.text,
    );
    const port = new URL(upstream).port;
    for (const leak of [
      'secret-upstream',
      '127.0.0.1',
      `:${port}`,
      'ECONNREFUSED',
      'stack',
      '    at ',
      '.ts:',
      '.js:',
    ]) {
      assert.ok(!response.text.includes(leak), `${leak} in ${response.text}`);
    }
  });

  it('security headers on every response; a strict CSP except on the IDE', async () => {
    const responses = [
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...credentialsFor(url) },
        body: '{"query":"{ __typename }"}',
      }),
      await fetch(url.replace('/graphql', '/healthz')),
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      await fetch(url.replace('/graphql', '/nope')),
    ];
    for (const response of responses) {
      await response.arrayBuffer();
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', response.url);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', response.url);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', response.url);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/, response.url);
      assert.equal(response.headers.get('cache-control'), 'no-store', response.url);
    }
  });
});

describe('graphql-ws', () => {
  let client: Client;
  const closeCodes: number[] = [];
  before(() => {
    client = createClient({
      url: url.replace(/^http/, 'ws'),
      connectionParams: connectionParamsFor(url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      on: { closed: (event) => closeCodes.push((event as { code: number }).code) },
    });
  });
  after(() => client.dispose());

  it('a bad subscribe gets an error for its id only; the socket and the live subscription go on', async () => {
    const started = await gql(
      url,
      'mutation { startReview(input: { idea: "Follow me over one socket." }) { id } }',
    );
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    const id = started.data!.startReview.id as string;
    type Progress = { reviewRunProgress: { status: string } };
    const live = client.iterate<Progress>({
      query: 'subscription($id: ID!) { reviewRunProgress(runId: $id) { status } }',
      variables: { id },
    });
    const first = await live.next();
    assert.ok(!first.done && (first.value as ExecutionResult<Progress>).data?.reviewRunProgress.status);

    const refusal = (query: string) =>
      client
        .iterate({ query })
        .next()
        .then(
          (result) => {
            throw new Error(`not refused: ${JSON.stringify(result)}`);
          },
          (errors: Errors) => errors.map((e) => e.extensions?.code),
        );
    assert.deepEqual(await refusal('subscription { reviewRunProgress(runId: "x") { status }'), [
      'GRAPHQL_PARSE_FAILED',
    ]);
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: status`).join(' ');
    assert.deepEqual(await refusal(`subscription { reviewRunProgress(runId: "x") { ${aliases} } }`), [
      'TOO_MANY_ALIASES',
    ]);
    assert.deepEqual(
      await refusal(`subscription { reviewRunProgress(runId: "x") { ${'status '.repeat(2100)} } }`),
      ['TOO_MANY_TOKENS'],
    );

    const cancelled = await gql(url, 'mutation($id: ID!) { cancelReview(runId: $id) { status } }', { id });
    assert.equal(cancelled.errors, undefined, JSON.stringify(cancelled.errors));
    const statuses: string[] = [];
    for await (const result of live) {
      statuses.push((result as ExecutionResult<Progress>).data!.reviewRunProgress.status);
    }
    assert.equal(statuses.at(-1), 'CANCELLED', statuses.join(' '));
    assert.deepEqual(closeCodes, [], 'the socket stayed open');
  });
});

describe('rate limit (last: it uses up the key)', () => {
  it(`RATE_LIMITED (429, Retry-After) past ${RATE_PER_MINUTE} operations per minute for one key`, async () => {
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < RATE_PER_MINUTE * 2 && !refused; i++) {
      const response = await post('{"query":"{ __typename }"}');
      if (response.status !== 200) refused = response;
    }
    assert.ok(refused, 'refused at some point');
    assert.equal(refused.status, 429, refused.text);
    assert.deepEqual(codes(refused.json), ['RATE_LIMITED']);
    assert.match(
      refused.json.errors![0]!.message,
      new RegExp(`Rate limit of ${RATE_PER_MINUTE} operations per minute`),
    );
    assert.match(refused.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    // Another caller is not limited by this one's bucket: an unauthenticated request is refused as such.
    const other = await post('{"query":"{ __typename }"}', { authorization: '' });
    assert.notEqual(other.status, 429);
  });
});
