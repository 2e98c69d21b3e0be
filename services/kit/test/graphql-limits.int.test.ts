import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, createClient, type ExecutionResult } from 'graphql-ws';
import { Arg, Field, ID, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import WebSocket from 'ws';
import { BadUserInputError } from '../src/errors.ts';
import { DEFAULT_LIMITS } from '../src/graphql/limits.ts';
import { buildSubgraph } from '../src/graphql/subgraph.ts';
import type { PgPubSub } from '../src/pubsub/pg-pubsub.ts';
import type { RunningService, ServiceModule } from '../src/service/service.ts';
import { connectionParamsFor, credentialsFor } from '../src/testing/credentials.ts';
import { createTestDatabase } from '../src/testing/database.ts';
import { gql } from '../src/testing/graphql.ts';
import { startReplica } from '../src/testing/service.ts';

// A subgraph reached directly applies the gateway's limits (services/kit/src/graphql/limits.ts) with
// the same codes, over HTTP and over graphql-ws, hides its schema in production and masks internals.

@ObjectType()
class Node {
  @Field(() => ID)
  id!: string;

  @Field(() => Node, { nullable: true })
  child(): Node {
    return node(`${this.id}.c`);
  }

  @Field(() => [Node])
  children(@Arg('first', () => Int, { nullable: true }) first?: number): Node[] {
    return Array.from({ length: Math.min(first ?? 1, 3) }, (_, i) => node(`${this.id}.${i}`));
  }
}

const node = (id: string) => Object.assign(new Node(), { id });

@ObjectType()
class Beat {
  @Field(() => Int)
  n!: number;
}

@Resolver()
class LimitsResolver {
  constructor(private readonly pubSub: PgPubSub) {}

  @Query(() => Node)
  root(): Node {
    return node('r');
  }

  @Query(() => String)
  async slow(): Promise<string> {
    await sleep(3000);
    return 'late';
  }

  @Query(() => String)
  leaky(): string {
    throw new Error(
      'insert into "limits"."secret" ("a") values ($1) - duplicate key at /work/main/services/kit/src/x.ts:12:3 postgres://u:pw@10.0.0.5:5432/db',
    );
  }

  @Query(() => String)
  described(): string {
    throw new BadUserInputError('see http://10.1.2.3:4001/graphql and /srv/app/services/kit/src/y.ts');
  }

  @Mutation(() => Boolean)
  async beat(@Arg('n', () => Int) n: number): Promise<boolean> {
    await this.pubSub.publish('beats', 'b', { n });
    return true;
  }

  @Subscription(() => Beat, { topics: 'beats', topicId: () => 'b' })
  beats(@Root() beat: Beat): Beat {
    return beat;
  }
}

const limitsModule: ServiceModule = {
  name: 'limits',
  dbSchema: 'limits',
  portVariable: 'ASSAY_SCORING_PORT',
  entities: [],
  migrations: [],
  async createApp({ pubSub }) {
    return {
      schema: await buildSubgraph({ resolvers: [new LimitsResolver(pubSub)], orphanedTypes: [Node], pubSub }),
    };
  },
};

const deep = (levels: number) => `{ root { ${'child { '.repeat(levels)}id${' }'.repeat(levels)} } }`;
const codes = (r: { errors?: { extensions?: { code?: string } }[] }) =>
  r.errors?.map((e) => e.extensions?.code);

type Body = { errors?: { message: string; extensions?: { code?: string } }[]; data?: unknown };

async function post(
  url: string,
  body: string | unknown,
): Promise<{ status: number; json: Body & Body[]; headers: Headers }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...credentialsFor(url) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json(), headers: response.headers };
}

describe('subgraph limits, introspection, masking and headers (a real service, reached directly)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dev: RunningService;
  let production: RunningService;

  before(async () => {
    database = await createTestDatabase();
    dev = await startReplica(limitsModule, database.url, { ASSAY_GRAPHQL_TIMEOUT_MS: '200' });
    production = await startReplica(limitsModule, database.url, { NODE_ENV: 'production' });
  });
  after(async () => {
    await dev?.stop();
    await production?.stop();
    await database?.drop();
  });

  it('refuses a query over each limit with its own code and a message naming the limit', async () => {
    const ok = await gql(dev.url, deep(7));
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));

    const tooDeep = await gql(dev.url, deep(12));
    assert.deepEqual(codes(tooDeep), ['QUERY_TOO_DEEP']);
    assert.match(tooDeep.errors![0]!.message, new RegExp(`depth limit of ${DEFAULT_LIMITS.maxDepth}\\b`));

    const costly = await gql(
      dev.url,
      '{ root { children(first: 1000) { id children(first: 1000) { id } } } }',
    );
    assert.deepEqual(codes(costly), ['QUERY_TOO_COSTLY']);
    assert.match(costly.errors![0]!.message, /Cost limit of 5000 exceeded/);

    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: root { id }`).join(' ');
    const aliased = await gql(dev.url, `{ ${aliases} }`);
    assert.deepEqual(codes(aliased), ['TOO_MANY_ALIASES']);
    assert.match(aliased.errors![0]!.message, /Aliases limit of 15 exceeded/);

    const tokens = await gql(dev.url, `{ ${'__typename '.repeat(2100)} }`);
    assert.deepEqual(codes(tokens), ['TOO_MANY_TOKENS']);
    assert.match(tokens.errors![0]!.message, /Token limit of 2000 exceeded/);

    const directives = await gql(dev.url, `{ ${'__typename @include(if: true) '.repeat(21)} }`);
    assert.deepEqual(codes(directives), ['TOO_MANY_DIRECTIVES']);
    assert.match(directives.errors![0]!.message, /Directives limit of 20 exceeded/);
  });

  it('answers a batch of up to 10 and refuses a larger one with 413 BATCH_TOO_LARGE', async () => {
    const two = await post(dev.url, [{ query: '{ __typename }' }, { query: '{ root { id } }' }]);
    assert.equal(two.status, 200);
    assert.deepEqual(two.json, [{ data: { __typename: 'Query' } }, { data: { root: { id: 'r' } } }]);
    const eleven = await post(
      dev.url,
      Array.from({ length: 11 }, () => ({ query: '{ __typename }' })),
    );
    assert.equal(eleven.status, 413);
    assert.deepEqual(codes(eleven.json), ['BATCH_TOO_LARGE']);
    assert.match(eleven.json.errors![0]!.message, /Batch limit of 10 operations exceeded/);
  });

  it('refuses a body over 16 MiB with 413 PAYLOAD_TOO_LARGE', async () => {
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(16 * 1024 * 1024) } });
    const refused = await post(dev.url, big);
    assert.equal(refused.status, 413);
    assert.deepEqual(codes(refused.json), ['PAYLOAD_TOO_LARGE']);
    assert.match(refused.json.errors![0]!.message, /limit of 16777216 bytes/);
  });

  it('answers an operation over its time limit with 504 OPERATION_TIMEOUT', async () => {
    const late = await post(dev.url, { query: '{ slow }' });
    assert.equal(late.status, 504);
    assert.deepEqual(codes(late.json), ['OPERATION_TIMEOUT']);
    assert.match(late.json.errors![0]!.message, /time limit of 200 ms/);
  });

  it('allows introspection and suggestions by default, neither with NODE_ENV=production', async () => {
    const introspected = await gql(dev.url, '{ __schema { queryType { name } } }');
    assert.equal(introspected.errors, undefined);
    const suggested = await gql(dev.url, '{ roots { id } }');
    assert.match(suggested.errors![0]!.message, /Did you mean "root"\?/);

    const refused = await gql(production.url, '{ __schema { queryType { name } } }');
    assert.equal(refused.data, undefined);
    assert.ok(refused.errors?.length, 'introspection is refused');
    assert.ok(!JSON.stringify(refused).includes('queryType":{'), JSON.stringify(refused));
    const hidden = await gql(production.url, '{ roots { id } }');
    assert.deepEqual(codes(hidden), ['GRAPHQL_VALIDATION_FAILED']);
    assert.ok(!/Did you mean|"root"/.test(hidden.errors![0]!.message), hidden.errors![0]!.message);
  });

  it('never answers with SQL, file paths, addresses or URLs', async () => {
    const leaky = await gql(dev.url, '{ leaky }');
    assert.deepEqual(
      leaky.errors?.map((e) => [e.message, e.extensions?.code]),
      [['internal error', 'INTERNAL_SERVER_ERROR']],
    );
    const described = await gql(dev.url, '{ described }');
    assert.deepEqual(codes(described), ['BAD_USER_INPUT']);
    const message = described.errors![0]!.message;
    assert.ok(!/10\.1\.2\.3|http:|\/srv\/|\.ts\b/.test(message), message);
    assert.ok(!JSON.stringify(described).includes('stack'));
  });

  it('sends the security headers on every response', async () => {
    for (const [path, init] of [
      ['/graphql', { method: 'POST', body: '{"query":"{ __typename }"}' }],
      ['/healthz', {}],
      ['/nope', {}],
    ] as const) {
      const response = await fetch(dev.url.replace('/graphql', path), {
        ...init,
        headers: { 'content-type': 'application/json', ...credentialsFor(dev.url) },
      });
      await response.arrayBuffer();
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/, path);
      assert.equal(response.headers.get('cache-control'), 'no-store', path);
    }
  });

  describe('over graphql-ws', () => {
    let client: Client;
    const closeCodes: number[] = [];
    before(() => {
      client = createClient({
        url: dev.url.replace(/^http/, 'ws'),
        connectionParams: connectionParamsFor(dev.url),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => undefined,
        on: { closed: (event) => closeCodes.push((event as { code: number }).code) },
      });
    });
    after(() => client.dispose());

    it('answers a bad subscribe with an error for that operation only; the live one goes on', async () => {
      const live = client.iterate<{ beats: { n: number } }>({ query: 'subscription { beats { n } }' });
      const first = live.next();
      let arrived = false;
      void first.then(() => {
        arrived = true;
      });
      for (let i = 0; i < 100 && !arrived; i++) {
        await gql(dev.url, 'mutation { beat(n: 0) }');
        await Promise.race([first, sleep(50)]);
      }
      assert.deepEqual((await first).value, { data: { beats: { n: 0 } } });

      const refusal = (query: string) =>
        client
          .iterate({ query })
          .next()
          .then(
            () => undefined,
            (errors: { message: string; extensions?: { code?: string } }[]) => errors,
          );
      const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: n`).join(' ');
      assert.deepEqual(
        (await refusal(`subscription { beats { ${aliases} } }`))?.map((e) => e.extensions?.code),
        ['TOO_MANY_ALIASES'],
      );
      assert.deepEqual(
        (await refusal(`subscription { ${'beats { n } '.repeat(700)} }`))?.map((e) => e.extensions?.code),
        ['TOO_MANY_TOKENS'],
      );
      assert.deepEqual(
        (await refusal(`subscription { beats { ${'n @include(if: true) '.repeat(21)} } }`))?.map(
          (e) => e.extensions?.code,
        ),
        ['TOO_MANY_DIRECTIVES'],
      );
      assert.deepEqual(
        (await refusal('subscription { beats { n }'))?.map((e) => e.extensions?.code),
        ['GRAPHQL_PARSE_FAILED'],
      );

      await gql(dev.url, 'mutation { beat(n: 7) }');
      let next = await live.next();
      while (!next.done && (next.value as ExecutionResult<{ beats: { n: number } }>).data?.beats.n === 0) {
        next = await live.next();
      }
      assert.deepEqual(next.value, { data: { beats: { n: 7 } } });
      await live.return?.();
      assert.deepEqual(closeCodes, [], 'the socket stayed open');
    });
  });
});
