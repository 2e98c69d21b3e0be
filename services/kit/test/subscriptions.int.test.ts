import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, createClient, type ExecutionResult } from 'graphql-ws';
import { Arg, Field, ID, Int, Mutation, ObjectType, Query, Resolver, Root, Subscription } from 'type-graphql';
import WebSocket from 'ws';
import { BadUserInputError } from '../src/errors.ts';
import { buildSubgraph } from '../src/graphql/subgraph.ts';
import type { PgPubSub } from '../src/pubsub/pg-pubsub.ts';
import { type RunningService, type ServiceModule } from '../src/service/service.ts';
import { connectionParamsFor } from '../src/testing/credentials.ts';
import { createTestDatabase } from '../src/testing/database.ts';
import { gql } from '../src/testing/graphql.ts';
import { startReplica } from '../src/testing/service.ts';

// Two replicas of a tiny subgraph on one database, each a real service with its own HTTP server:
// a client subscribed on B receives what a mutation on A publishes.

@ObjectType()
class Tick {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  n!: number;
}

@Resolver()
class TickResolver {
  constructor(private readonly pubSub: PgPubSub) {}

  @Query(() => String)
  hello(): string {
    return 'hello';
  }

  @Mutation(() => Boolean)
  async tick(@Arg('id', () => ID) id: string, @Arg('n', () => Int) n: number): Promise<boolean> {
    await this.pubSub.publish('ticks', id, { id, n });
    return true;
  }

  @Subscription(() => Tick, {
    topics: ({ args }) => {
      if (!String(args.id).startsWith('t-')) throw new BadUserInputError('tick ids start with "t-"');
      return 'ticks';
    },
    topicId: ({ args }) => args.id,
  })
  ticks(@Arg('id', () => ID) _id: string, @Root() tick: Tick): Tick {
    return tick;
  }
}

const pubSubs: PgPubSub[] = [];
const ticksModule: ServiceModule = {
  name: 'ticks',
  dbSchema: 'ticks',
  portVariable: 'ASSAY_SCORING_PORT',
  entities: [],
  migrations: [],
  async createApp({ pubSub }) {
    assert.ok(pubSub, 'startService provides a pub/sub');
    pubSubs.push(pubSub);
    return { schema: await buildSubgraph({ resolvers: [new TickResolver(pubSub)], pubSub }) };
  },
};

type Result = ExecutionResult<{ ticks: { id: string; n: number } }>;

describe('subscriptions across replicas (graphql-ws, real sockets and PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: RunningService;
  let b: RunningService;
  let client: Client;
  const closeCodes: number[] = [];

  before(async () => {
    database = await createTestDatabase();
    a = await startReplica(ticksModule, database.url);
    b = await startReplica(ticksModule, database.url); // after A: both would migrate the same schema
    client = createClient({
      url: b.url.replace(/^http/, 'ws'),
      connectionParams: connectionParamsFor(b.url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false, // one socket for the whole file, so a test can tell it was never closed
      onNonLazyError: () => undefined, // its close is recorded below
      on: { closed: (event) => closeCodes.push((event as { code: number }).code) },
    });
  });
  after(async () => {
    await client.dispose();
    await a.stop();
    await b.stop();
    await database.drop();
  });

  it('delivers to a client on B, in order, what a mutation on A publishes', async () => {
    const events = client.iterate<Result['data']>({ query: 'subscription { ticks(id: "t-1") { id n } }' });
    // The server subscribes asynchronously: publish a marker until the first one comes back.
    const first = events.next();
    let arrived = false;
    void first.then(() => {
      arrived = true;
    });
    for (let i = 0; i < 100 && !arrived; i++) {
      await gql(a.url, 'mutation { tick(id: "t-1", n: 0) }');
      await Promise.race([first, sleep(50)]);
    }
    assert.deepEqual((await first).value, { data: { ticks: { id: 't-1', n: 0 } } });

    for (let n = 1; n <= 5; n++) {
      await gql(a.url, `mutation { tick(id: "t-2", n: ${n}) }`);
      const published = await gql(a.url, `mutation { tick(id: "t-1", n: ${n}) }`);
      assert.deepEqual(published.data, { tick: true });
    }
    const received: number[] = [];
    for await (const result of events) {
      const n = (result as Result).data!.ticks.n;
      if (n > 0) received.push(n); // further markers may still arrive
      if (received.length === 5) break; // ends the subscription
    }
    assert.deepEqual(received, [1, 2, 3, 4, 5]);

    const pubSubB = pubSubs[1]!;
    for (let i = 0; i < 100 && pubSubB.subscriberCount > 0; i++) await sleep(20);
    assert.equal(pubSubB.subscriberCount, 0, 'completing on the client unsubscribes on the server');
  });

  it('answers a bad argument with BAD_USER_INPUT and its message', async () => {
    const events = client.iterate({ query: 'subscription { ticks(id: "nope") { n } }' });
    const { value } = await events.next();
    assert.deepEqual(
      (value as ExecutionResult).errors?.map((e) => [e.message, e.extensions?.code]),
      [['tick ids start with "t-"', 'BAD_USER_INPUT']],
    );
  });

  it('rejects an invalid document and queries over the socket without closing it', async () => {
    await assert.rejects(
      client.iterate({ query: 'subscription { nope }' }).next(),
      (errors: { extensions?: { code?: string } }[]) =>
        errors[0]?.extensions?.code === 'GRAPHQL_VALIDATION_FAILED',
    );
    await assert.rejects(
      client.iterate({ query: 'subscription {' }).next(),
      (errors: { extensions?: { code?: string } }[]) =>
        errors[0]?.extensions?.code === 'GRAPHQL_PARSE_FAILED',
    );
    const { value } = await client.iterate({ query: '{ hello }' }).next();
    assert.equal((value as ExecutionResult).errors?.[0]?.extensions?.code, 'BAD_REQUEST');
    assert.deepEqual(closeCodes, []);
  });

  it('upgrades only on /graphql', async () => {
    const status = await new Promise<number | undefined>((resolve) => {
      const socket = new WebSocket(b.url.replace(/^http/, 'ws').replace('/graphql', '/other'));
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      socket.on('error', () => resolve(undefined));
    });
    assert.equal(status, 404);
  });

  it('closes subscription sockets with 1001 "going away" when the service stops', async () => {
    const events = client.iterate({ query: 'subscription { ticks(id: "t-3") { n } }' });
    const ended = events.next().catch((error: unknown) => error);
    for (let i = 0; i < 100 && pubSubs[1]!.subscriberCount === 0; i++) await sleep(20);
    await b.stop();
    await ended;
    assert.deepEqual(closeCodes, [1001]);
  });
});
