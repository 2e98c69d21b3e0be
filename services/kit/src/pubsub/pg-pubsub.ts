import { createHash } from 'node:crypto';
import pg from 'pg';
import type { PubSub } from 'type-graphql';
import { AppError } from '../errors.ts';
import type { Logger } from '../logging/logger.ts';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (default build). */
export const MAX_NOTIFY_BYTES = 7999;

export interface PgPubSubOptions {
  connectionString: string;
  log: Logger;
  /** Events kept for a subscriber that has not read them yet; past it, its oldest are dropped. */
  bufferSize?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  connectTimeoutMs?: number;
  /** Longest one NOTIFY may take; past it the event is lost and its connection replaced. */
  publishTimeoutMs?: number;
  /** Events waiting for the NOTIFY connection; a publication beyond it is refused at once. */
  maxPendingPublications?: number;
  /** How often the LISTEN connection must answer a query to count as alive, and how soon. */
  livenessIntervalMs?: number;
  livenessTimeoutMs?: number;
}

export interface SubscribeOptions {
  /**
   * Called when the LISTEN connection is back after it was lost: events published meanwhile were
   * missed, so the subscriber should read the current state again.
   */
  onResume?: () => void;
}

/** What crosses NOTIFY: the routing id travels in the payload, so one channel serves a whole topic. */
interface Envelope {
  id?: string;
  payload: unknown;
}

type Publication = [payload: unknown] | [id: string | number, payload: unknown];

interface Outgoing {
  channel: string;
  text: string;
  resolve(): void;
  reject(error: Error): void;
}

/** Most publications one NOTIFY statement carries. */
const MAX_NOTIFY_BATCH = 100;

/**
 * The oldest publications that can go out in one transaction. PostgreSQL delivers one of several
 * identical notifications (channel and payload) of a transaction: a repeat starts the next batch.
 */
function takeBatch(outbox: Outgoing[]): Outgoing[] {
  const seen = new Set<string>();
  let n = 0;
  while (n < outbox.length && n < MAX_NOTIFY_BATCH) {
    const key = `${outbox[n]!.channel}\u0000${outbox[n]!.text}`;
    if (seen.has(key)) break;
    seen.add(key);
    n++;
  }
  return outbox.splice(0, n);
}

/**
 * `assay_<topic>` for a plain lowercase topic name, otherwise a hash of it: always a valid identifier
 * (≤ 63 bytes) that needs no escaping inside double quotes.
 */
export function channelFor(topic: string): string {
  if (/^[a-z0-9_]{1,48}$/.test(topic)) return `assay_${topic}`;
  return `assay_${createHash('sha256').update(topic).digest('hex').slice(0, 32)}`;
}

/**
 * Pub/sub for type-graphql (same `publish`/`subscribe` contract as `@graphql-yoga/subscription`'s
 * createPubSub) over PostgreSQL LISTEN/NOTIFY, so an event published by any replica reaches the
 * subscribers of every replica, this one included: local delivery goes through PostgreSQL too.
 *
 * - One LISTEN connection per process, opened on the first subscription, one channel per topic
 *   (ids are routed here, not by channel, so the LISTEN count stays constant). It must answer a
 *   query every `livenessIntervalMs`, so a path that silently drops packets is noticed in seconds,
 *   not after TCP gives up. When it drops it is reopened with capped exponential backoff and every
 *   channel is LISTENed again; subscriptions survive, and each is told (`onResume`) that events
 *   published while it was down were missed (NOTIFY is not durable).
 * - Publishing is serialised through one connection, so one process's events arrive in the order
 *   it published them. Each NOTIFY is bounded by `publishTimeoutMs` (a hung connection is
 *   destroyed and replaced), the backlog is bounded, and after a failure publications fail fast
 *   for a moment instead of queueing behind an outage: a publisher is never held up for long.
 *   Payloads are JSON (a Date arrives as an ISO string).
 * - Each subscriber has a bounded buffer; a slow reader loses its *oldest* events (logged), which
 *   suits progress: the latest state is the one that matters, and a publisher is never held up.
 */
export class PgPubSub implements PubSub {
  private readonly log: Logger;
  private notifier: pg.Client | undefined;
  private pendingPublications = 0;
  /** After a failed NOTIFY, publications fail at once until then. */
  private failingUntil = 0;
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  /** channel -> topic, for every topic that has ever had a subscriber. */
  private readonly channels = new Map<string, string>();
  /** Channels LISTENed on the current connection. */
  private readonly listened = new Set<string>();
  private readonly waiters: { channel: string; resolve: () => void; reject: (error: Error) => void }[] = [];
  private client: pg.Client | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: PgPubSubOptions) {
    this.log = options.log.child({ component: 'pubsub' });
  }

  /**
   * Publishes to every replica; `id` narrows it to the subscribers that asked for that id. Resolves
   * once PostgreSQL has accepted it; rejects (nobody receives it) when it is too big, the database
   * is unreachable or slow past `publishTimeoutMs`, or the backlog is full. Catch it; a caller on a
   * critical path need not await it (events of one process still go out in order).
   */
  async publish(topic: string, ...args: Publication): Promise<void> {
    if (this.closed) throw new Error('the pub/sub is closed');
    const envelope: Envelope =
      args.length === 2 ? { id: String(args[0]), payload: args[1] } : { payload: args[0] };
    const text = JSON.stringify(envelope);
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_NOTIFY_BYTES) {
      throw new AppError(
        'PUBSUB_PAYLOAD_TOO_LARGE',
        `an event on ${topic} is ${bytes} bytes as JSON; NOTIFY carries at most ${MAX_NOTIFY_BYTES}: publish an id and let subscribers read the rest`,
      );
    }
    if (this.pendingPublications >= (this.options.maxPendingPublications ?? 10_000)) {
      throw new AppError(
        'PUBSUB_BACKLOG_FULL',
        `too many events waiting to be published; one on ${topic} is dropped`,
      );
    }
    this.pendingPublications++;
    const sent = new Promise<void>((resolve, reject) =>
      this.outbox.push({ channel: channelFor(topic), text, resolve, reject }),
    ).finally(() => {
      this.pendingPublications--;
    });
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.tail = this.tail.then(() => this.flush()).catch(() => undefined);
    }
    await sent;
  }

  /** Publications waiting for the NOTIFY connection, in the order they were made. */
  private readonly outbox: Outgoing[] = [];
  private flushQueued = false;

  /**
   * Sends what waits, oldest first: whatever queued up while the previous NOTIFY was in flight goes
   * out in one statement (one transaction: delivered together, in order), not one round trip each.
   */
  private async flush(): Promise<void> {
    this.flushQueued = false;
    while (this.outbox.length > 0) {
      const batch = takeBatch(this.outbox);
      try {
        await this.notify(batch);
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error as Error);
      }
    }
  }

  /** One NOTIFY statement on the publishing connection, opened on demand and destroyed when it fails or hangs. */
  private async notify(batch: Outgoing[]): Promise<void> {
    if (this.closed) throw new Error('the pub/sub is closed');
    if (Date.now() < this.failingUntil) {
      throw new AppError('PUBSUB_UNAVAILABLE', 'publishing is failing: event dropped', true);
    }
    const timeoutMs = this.options.publishTimeoutMs ?? 2000;
    try {
      this.notifier ??= await this.connectNotifier();
      await withTimeout(
        this.notifier.query(
          `select ${batch.map((_, i) => `pg_notify($${2 * i + 1}, $${2 * i + 2})`).join(', ')}`,
          batch.flatMap((p) => [p.channel, p.text]),
        ),
        timeoutMs,
        'NOTIFY',
      );
    } catch (error) {
      this.failingUntil = Date.now() + Math.min(timeoutMs, 1000);
      if (this.notifier) destroy(this.notifier);
      this.notifier = undefined;
      throw error;
    }
  }

  private async connectNotifier(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.connectionString,
      keepAlive: true,
      connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000,
      application_name: 'assay-pubsub-notify',
    });
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'NOTIFY connection lost');
      if (this.notifier === client) this.notifier = undefined;
    });
    try {
      await client.connect();
    } catch (error) {
      destroy(client);
      throw error;
    }
    return client;
  }

  /** Events of `topic` (published with this `id`, or without one when `id` is absent), as published. */
  subscribe<T = unknown>(
    topic: string,
    id?: string | number,
    options: SubscribeOptions = {},
  ): AsyncIterableIterator<T> {
    this.ensureChannel(topic);
    const subscriber = new Subscriber(
      id === undefined ? undefined : String(id),
      this.options.bufferSize ?? 256,
      this.log.child({ topic }),
      (s) => this.subscribers.get(topic)?.delete(s),
      options.onResume,
    );
    const set = this.subscribers.get(topic) ?? new Set();
    this.subscribers.set(topic, set.add(subscriber));
    return subscriber as AsyncIterableIterator<T>;
  }

  /**
   * Resolves once `topic` is LISTENed on the live connection: from then on nothing published is
   * missed, e.g. subscribe, await this, then read the current state.
   */
  async listen(topic: string): Promise<void> {
    const channel = this.ensureChannel(topic);
    if (this.listened.has(channel)) return;
    await new Promise<void>((resolve, reject) => this.waiters.push({ channel, resolve, reject }));
  }

  get subscriberCount(): number {
    let count = 0;
    for (const set of this.subscribers.values()) count += set.size;
    return count;
  }

  /** Ends every subscription and closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.end();
    for (const waiter of this.waiters.splice(0)) waiter.reject(new Error('the pub/sub closed'));
    this.wake?.();
    await this.client?.end().catch(() => undefined);
    await this.loop;
    await this.tail;
    if (this.notifier) await endOrDestroy(this.notifier, 1000);
    this.notifier = undefined;
  }

  private ensureChannel(topic: string): string {
    if (this.closed) throw new Error('the pub/sub is closed');
    const channel = channelFor(topic);
    if (!this.channels.has(channel)) {
      this.channels.set(channel, topic);
      if (this.client) {
        this.listenAll(this.client).catch((error) => this.log.debug({ err: error }, 'LISTEN failed'));
      }
    }
    this.loop ??= this.connectLoop();
    return channel;
  }

  /** Holds the LISTEN connection open for the life of the pub/sub, reconnecting when it drops. */
  private async connectLoop(): Promise<void> {
    const minMs = this.options.reconnectMinMs ?? 100;
    const maxMs = this.options.reconnectMaxMs ?? 10_000;
    let failures = 0;
    let lostAt: number | undefined;
    while (!this.closed) {
      const client = new pg.Client({
        connectionString: this.options.connectionString,
        keepAlive: true,
        connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000,
        application_name: 'assay-pubsub-listen',
      });
      const ended = new Promise<unknown>((resolve) => {
        client.on('error', resolve);
        client.once('end', () => resolve(undefined));
      });
      client.on('notification', (message) => this.dispatch(message));
      try {
        await client.connect();
        this.client = client; // from here close() ends it, which resolves `ended`
        if (!this.closed) {
          await this.listenAll(client);
          if (lostAt === undefined) this.log.info({ channels: this.listened.size }, 'listening');
          else {
            const downMs = Date.now() - lostAt;
            this.log.warn(
              { downMs },
              'LISTEN connection back; events published while it was down were missed',
            );
          }
          if (lostAt !== undefined) this.resumeSubscribers();
          failures = 0;
          lostAt = undefined;
          const liveness = this.watchLiveness(client);
          const error = await ended;
          clearInterval(liveness);
          if (!this.closed) this.log.warn({ err: error }, 'LISTEN connection lost; reconnecting');
          lostAt = Date.now();
        }
      } catch (error) {
        if (!this.closed) this.log.warn({ err: error, failures: failures + 1 }, 'LISTEN connection failed');
      }
      this.client = undefined;
      this.listened.clear();
      await endOrDestroy(client, 1000);
      if (this.closed) break;
      // Jitter keeps replicas that lost the database together from reconnecting together.
      const ceiling = Math.min(maxMs, minMs * 2 ** failures++);
      await this.sleep(ceiling / 2 + (Math.random() * ceiling) / 2);
    }
  }

  /**
   * The LISTEN connection answers a query every interval or is destroyed (and so reopened): a
   * connection can stay open while nothing reaches it any more, and would then deliver nothing.
   */
  private watchLiveness(client: pg.Client): NodeJS.Timeout {
    const intervalMs = this.options.livenessIntervalMs ?? 5000;
    const timeoutMs = this.options.livenessTimeoutMs ?? 3000;
    let checking = false;
    return setInterval(() => {
      if (checking || this.closed) return;
      checking = true;
      withTimeout(client.query('select 1'), timeoutMs, 'LISTEN liveness check')
        .catch((error) => {
          this.log.warn({ err: error }, 'LISTEN connection unresponsive; reconnecting');
          destroy(client);
          client.emit('end');
        })
        .finally(() => {
          checking = false;
        });
    }, intervalMs).unref();
  }

  private resumeSubscribers(): void {
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.resume();
  }

  private async listenAll(client: pg.Client): Promise<void> {
    for (const channel of this.channels.keys()) {
      if (this.listened.has(channel)) continue;
      await client.query(`listen "${channel}"`);
      if (this.client !== client) return;
      this.listened.add(channel);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const waiter = this.waiters[i]!;
        if (waiter.channel !== channel) continue;
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  private dispatch({ channel, payload }: pg.Notification): void {
    const topic = this.channels.get(channel);
    const set = topic === undefined ? undefined : this.subscribers.get(topic);
    if (!set || set.size === 0) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload ?? '') as Envelope;
    } catch {
      this.log.warn({ channel }, 'ignoring a notification that is not JSON');
      return;
    }
    for (const subscriber of set) if (subscriber.id === envelope.id) subscriber.push(envelope.payload);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** One subscription: a bounded queue read as an async iterator; `return()` unsubscribes. */
class Subscriber implements AsyncIterableIterator<unknown> {
  private readonly queue: unknown[] = [];
  private readonly readers: ((result: IteratorResult<unknown>) => void)[] = [];
  private ended = false;
  private dropped = 0;

  constructor(
    readonly id: string | undefined,
    private readonly capacity: number,
    private readonly log: Logger,
    private readonly onEnd: (subscriber: Subscriber) => void,
    private readonly onResume: (() => void) | undefined,
  ) {}

  resume(): void {
    if (this.ended || !this.onResume) return;
    try {
      this.onResume();
    } catch (error) {
      this.log.warn({ err: error }, 'a subscriber failed to resume');
    }
  }

  push(value: unknown): void {
    const reader = this.readers.shift();
    if (reader) {
      reader({ value, done: false });
      return;
    }
    if (this.queue.length >= this.capacity) {
      this.queue.shift();
      if (this.dropped++ === 0) {
        this.log.warn(
          { capacity: this.capacity },
          'a subscriber reads slower than events arrive: dropping its oldest',
        );
      }
    }
    this.queue.push(value);
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift();
      if (this.queue.length === 0 && this.dropped > 0) {
        this.log.warn({ dropped: this.dropped }, 'a slow subscriber caught up');
        this.dropped = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.readers.push(resolve));
  }

  return(): Promise<IteratorResult<unknown>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.length = 0;
    for (const reader of this.readers.splice(0)) reader({ value: undefined, done: true });
    this.onEnd(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/** Closes a client's socket at once: `end()` waits for the server, which may never answer. */
function destroy(client: pg.Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

async function endOrDestroy(client: pg.Client, ms: number): Promise<void> {
  await withTimeout(client.end(), ms, 'closing a connection').catch(() => destroy(client));
}
