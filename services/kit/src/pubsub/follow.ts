import { NotFoundError } from '../errors.ts';
import type { PgPubSub } from './pg-pubsub.ts';

export interface FollowOptions<E> {
  pubSub: PgPubSub;
  topic: string;
  id: string;
  /** What `NOT_FOUND` names when there is nothing to follow, e.g. "scoring run". */
  what: string;
  /** The stored state now, as an event; null when there is no such thing. */
  read(): Promise<E | null>;
  /** The stored version an event shows: events are ordered by it, never by clocks. */
  version(event: E): number;
  /** Whether nothing follows this event. */
  final(event: E): boolean;
  /**
   * After this long without an event the state is read again: NOTIFY is not durable, and an event
   * lost on the way (a dropped publication, a LISTEN connection that went deaf) is made good.
   */
  silenceMs?: number;
}

const RESUME = Symbol('resume');
const SILENCE = Symbol('silence');

/**
 * A subscription to one thing's progress that a lost event cannot stall: the current state first,
 * then every newer event (by stored version; older or repeated ones are skipped), with the state
 * read again whenever the LISTEN connection comes back or nothing arrived for `silenceMs`.
 * Completes after a final event. `return()` unsubscribes at once, even while waiting.
 */
export async function followLatest<E>(options: FollowOptions<E>): Promise<AsyncIterableIterator<E>> {
  let resume: () => void = () => undefined;
  const live = options.pubSub.subscribe<E | typeof RESUME>(options.topic, options.id, {
    onResume: () => resume(),
  });
  try {
    // Listening before reading: whatever is published meanwhile waits in `live`.
    await options.pubSub.listen(options.topic);
    const current = await options.read();
    if (!current) throw new NotFoundError(options.what, options.id);
    const follower = new Follower(options, live, current);
    resume = () => follower.resume();
    return follower;
  } catch (error) {
    await live.return?.();
    throw error;
  }
}

class Follower<E> implements AsyncIterableIterator<E> {
  private next_: E | undefined;
  private last: E | undefined;
  private pending: Promise<IteratorResult<E | typeof RESUME>> | undefined;
  private resumed = false;
  private wakeUp: (() => void) | undefined;
  private finished = false;

  constructor(
    private readonly options: FollowOptions<E>,
    private readonly live: AsyncIterableIterator<E | typeof RESUME>,
    current: E,
  ) {
    this.next_ = current;
  }

  resume(): void {
    this.resumed = true;
    this.wakeUp?.();
  }

  async next(): Promise<IteratorResult<E>> {
    if (this.finished || (this.last && this.options.final(this.last))) return this.return();
    if (this.next_) {
      const event = this.next_;
      this.next_ = undefined;
      return this.emit(event);
    }
    for (;;) {
      if (this.finished) return { value: undefined, done: true };
      if (this.resumed) {
        this.resumed = false;
        const fresh = await this.reread();
        if (fresh) return this.emit(fresh);
        continue;
      }
      this.pending ??= this.live.next();
      const result = await this.wait(this.pending);
      if (result === SILENCE || result === RESUME) {
        this.resumed = true;
        continue;
      }
      this.pending = undefined;
      if (result.done) return this.return();
      if (result.value === RESUME) continue;
      if (this.isNewer(result.value)) return this.emit(result.value);
    }
  }

  async return(): Promise<IteratorResult<E>> {
    this.finished = true;
    this.wakeUp?.();
    await this.live.return?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private emit(event: E): IteratorResult<E> {
    this.last = event;
    return { value: event, done: false };
  }

  private isNewer(event: E): boolean {
    return !this.last || this.options.version(event) > this.options.version(this.last);
  }

  /** The stored state, when newer than what was sent; a failed read waits for the next chance. */
  private async reread(): Promise<E | undefined> {
    const fresh = await this.options.read().catch(() => null);
    return fresh && this.isNewer(fresh) ? fresh : undefined;
  }

  /** The next live event, or SILENCE after `silenceMs`, or RESUME when woken. */
  private wait(
    pending: Promise<IteratorResult<E | typeof RESUME>>,
  ): Promise<IteratorResult<E | typeof RESUME> | typeof SILENCE | typeof RESUME> {
    let timer: NodeJS.Timeout | undefined;
    const woken = new Promise<typeof SILENCE | typeof RESUME>((resolve) => {
      timer = setTimeout(() => resolve(SILENCE), this.options.silenceMs ?? 10_000);
      this.wakeUp = () => resolve(RESUME);
    });
    return Promise.race([pending, woken]).finally(() => {
      clearTimeout(timer);
      this.wakeUp = undefined;
    });
  }
}
