import assert from 'node:assert/strict';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createLogger } from '../src/logging/logger.ts';
import { channelFor, MAX_NOTIFY_BYTES, PgPubSub } from '../src/pubsub/pg-pubsub.ts';
import { createTestDatabase } from '../src/testing/database.ts';
import { PgFaultProxy } from '../src/testing/pg-fault-proxy.ts';

// Two PgPubSub instances on one database stand for two replicas of a service.

const log = createLogger('pg-pubsub-test', process.env.LOG_LEVEL ?? 'silent');

async function take<T>(iterator: AsyncIterator<T>, count: number, timeoutMs = 5000): Promise<T[]> {
  const values: T[] = [];
  const expired = new Promise<never>((_, reject) => {
    AbortSignal.timeout(timeoutMs).addEventListener('abort', () =>
      reject(new Error(`${values.length} of ${count} events within ${timeoutMs} ms`)),
    );
  });
  while (values.length < count) {
    const result = await Promise.race([iterator.next(), expired]);
    if (result.done) break;
    values.push(result.value);
  }
  return values;
}

/** A TCP path to PostgreSQL that can be cut: while down, open connections are reset and new ones refused. */
async function cuttableProxy(
  target: URL,
): Promise<{ url: string; down(): void; up(): void; close(): Promise<void> }> {
  let isDown = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (isDown) return client.destroy();
    const upstream = tcpConnect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: url.toString(),
    down() {
      isDown = true;
      for (const socket of sockets) socket.destroy();
    },
    up() {
      isDown = false;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('PgPubSub (two replicas, real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let admin: pg.Client;
  let a: PgPubSub;
  let b: PgPubSub;
  before(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const options = { connectionString: database.url, log, reconnectMinMs: 20, reconnectMaxMs: 200 };
    a = new PgPubSub(options);
    b = new PgPubSub(options);
  });
  after(async () => {
    await a.close();
    await b.close();
    await admin.end();
    await database.drop();
  });

  it('names channels after plain topics and hashes anything else', () => {
    assert.equal(channelFor('scoring_progress'), 'assay_scoring_progress');
    assert.match(channelFor('Weird "topic"; drop table x'), /^assay_[0-9a-f]{32}$/);
  });

  it('delivers what replica A publishes to replica B, in order, as JSON', async () => {
    const events = b.subscribe<{ n: number; at: string }>('ordered');
    await b.listen('ordered');
    const at = new Date('2026-11-23T10:00:00.000Z');
    await Promise.all(Array.from({ length: 50 }, (_, n) => a.publish('ordered', { n, at })));
    const received = await take(events, 50);
    assert.deepEqual(
      received.map((e) => e.n),
      Array.from({ length: 50 }, (_, n) => n),
    );
    assert.equal(received[0]!.at, at.toISOString(), 'a Date crosses as its ISO string');
    await events.return?.();
  });

  it('routes by id: a subscriber for one id gets only its events', async () => {
    const one = b.subscribe<string>('by_id', 'run-1');
    const two = b.subscribe<string>('by_id', 'run-2');
    await b.listen('by_id');
    for (const [id, value] of [
      ['run-1', '1a'],
      ['run-2', '2a'],
      ['run-1', '1b'],
      ['run-3', '3a'],
      ['run-2', '2b'],
    ] as const) {
      await a.publish('by_id', id, value);
    }
    assert.deepEqual(await take(one, 2), ['1a', '1b']);
    assert.deepEqual(await take(two, 2), ['2a', '2b']);
    await one.return?.();
    await two.return?.();
  });

  it('ends the iterator on return(), waking a pending next(), and forgets the subscriber', async () => {
    const before = b.subscriberCount;
    const events = b.subscribe('unsubscribe');
    await b.listen('unsubscribe');
    assert.equal(b.subscriberCount, before + 1);
    const pending = events.next();
    await events.return?.();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.deepEqual(await events.next(), { value: undefined, done: true });
    assert.equal(b.subscriberCount, before);
    await a.publish('unsubscribe', 'after'); // nobody left to receive it: must not throw
  });

  it('keeps the newest events for a subscriber that does not read', async () => {
    const small = new PgPubSub({ connectionString: database.url, log, bufferSize: 3 });
    try {
      const slow = small.subscribe<number>('slow');
      const fast = small.subscribe<number>('slow');
      await small.listen('slow');
      // Each event read before the next is published: nothing dropped. (Not a loop of publishes
      // with one reader behind it: under load the LISTEN socket can deliver 4 or more at once, in
      // one tick, before the reader runs; with a buffer of 3 even a reading subscriber then keeps
      // only the newest, which CI once hit as "4 of 10 events".)
      const read: number[] = [];
      for (let n = 1; n <= 10; n++) {
        await a.publish('slow', n);
        read.push(...(await take(fast, 1)));
      }
      assert.deepEqual(read, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.deepEqual(await take(slow, 3), [8, 9, 10]);
    } finally {
      await small.close();
    }
  });

  it('refuses a payload NOTIFY cannot carry, and accepts one at the limit', async () => {
    await assert.rejects(a.publish('big', 'x'.repeat(MAX_NOTIFY_BYTES)), {
      code: 'PUBSUB_PAYLOAD_TOO_LARGE',
    });
    const events = b.subscribe<string>('big');
    await b.listen('big');
    const fits = 'x'.repeat(MAX_NOTIFY_BYTES - JSON.stringify({ payload: '' }).length);
    await a.publish('big', fits);
    assert.equal((await take(events, 1))[0], fits);
    await events.return?.();
  });

  it('reconnects and re-LISTENs after its connection is killed; the subscription carries on', async () => {
    const events = b.subscribe<string>('survivor');
    await b.listen('survivor');
    const listenerPid = async (): Promise<number | undefined> => {
      const { rows } = await admin.query<{ pid: number }>(
        `select pid from pg_stat_activity where datname = current_database()
           and application_name = 'assay-pubsub-listen' and (query ilike 'listen%' or query = 'select 1')`,
      );
      assert.ok(rows.length <= 1, 'only B listens');
      return rows[0]?.pid;
    };
    const killed = await listenerPid();
    assert.ok(killed, 'B has a LISTEN connection');
    await a.publish('survivor', 'before');
    assert.deepEqual(await take(events, 1), ['before']);

    await admin.query('select pg_terminate_backend($1)', [killed]);
    let pid: number | undefined;
    for (let i = 0; i < 200 && (pid === undefined || pid === killed); i++) {
      await sleep(25);
      pid = await listenerPid();
    }
    assert.ok(pid && pid !== killed, 'a new LISTEN connection');
    await b.listen('survivor');
    await a.publish('survivor', 'after');
    assert.deepEqual(await take(events, 1), ['after']);
    await events.return?.();
  });

  it('keeps retrying while the database is unreachable and resumes when it is back', async () => {
    const proxy = await cuttableProxy(new URL(database.url));
    const c = new PgPubSub({ connectionString: proxy.url, log, reconnectMinMs: 20, reconnectMaxMs: 100 });
    try {
      const events = c.subscribe<string>('outage');
      await c.listen('outage');
      proxy.down();
      await sleep(400); // several refused attempts
      await a.publish('outage', 'while down'); // NOTIFY is not durable: this one is lost
      proxy.up();
      await c.listen('outage');
      await a.publish('outage', 'back');
      assert.deepEqual(await take(events, 1), ['back']);
      await events.return?.();
    } finally {
      await c.close();
      proxy.down();
      await proxy.close();
    }
  });

  it('a LISTEN connection that goes silent (packets dropped, nothing closed) is replaced, and subscribers are told to re-read', async () => {
    const target = new URL(database.url);
    const proxy = await PgFaultProxy.start({ host: target.hostname, port: Number(target.port) });
    const c = new PgPubSub({
      connectionString: proxy.urlFor(database.url),
      log,
      reconnectMinMs: 20,
      reconnectMaxMs: 100,
      livenessIntervalMs: 200,
      livenessTimeoutMs: 300,
    });
    try {
      let resumed = 0;
      const events = c.subscribe<string>('deaf', undefined, { onResume: () => resumed++ });
      await c.listen('deaf');
      assert.equal(
        proxy.blackhole((name) => name === 'assay-pubsub-listen'),
        1,
      );
      await a.publish('deaf', 'lost'); // into the black hole
      for (let i = 0; i < 100 && resumed === 0; i++) await sleep(50);
      assert.equal(resumed, 1, 'told to re-read once the connection was replaced');
      await c.listen('deaf');
      await a.publish('deaf', 'heard');
      assert.deepEqual(await take(events, 1), ['heard']);
      await events.return?.();
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('a NOTIFY that hangs times out, and the next one goes out on a new connection', async () => {
    const target = new URL(database.url);
    const proxy = await PgFaultProxy.start({ host: target.hostname, port: Number(target.port) });
    const c = new PgPubSub({ connectionString: proxy.urlFor(database.url), log, publishTimeoutMs: 300 });
    try {
      const events = b.subscribe<string>('hung');
      await b.listen('hung');
      await c.publish('hung', 'first');
      assert.equal(
        proxy.blackhole((name) => name === 'assay-pubsub-notify'),
        1,
      );
      const started = Date.now();
      await assert.rejects(c.publish('hung', 'stuck'), /longer than 300 ms/);
      assert.ok(Date.now() - started < 5000, 'the publisher was not held up');
      await sleep(1100); // publications fail fast for a moment after a failure
      await c.publish('hung', 'after');
      assert.deepEqual(await take(events, 2), ['first', 'after']);
      await events.return?.();
    } finally {
      await c.close();
      await proxy.close();
    }
  });

  it('close() ends open subscriptions and refuses new work', async () => {
    const c = new PgPubSub({ connectionString: database.url, log });
    const events = c.subscribe('closing');
    await c.listen('closing');
    const pending = events.next();
    await c.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.throws(() => c.subscribe('closing'), /closed/);
    await assert.rejects(c.publish('closing', 1), /closed/);
  });
});
