import type { Logger } from '../logging/logger.ts';
import type { ReliableWriter } from './reliable-writer.ts';

export interface ReplayerOptions {
  intervalMs?: number;
  /** Records of a segment written at once; started oldest first. */
  concurrency?: number;
}

export interface ReplayPass {
  replayed: number;
  /** True when the database went away again and records were left for the next pass. */
  interrupted: boolean;
}

/**
 * Drains the spool in the background once the database takes writes again: segments oldest
 * first, each deleted only after all its records are committed and verified (or dead-lettered).
 */
export class SpoolReplayer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ReplayPass> | undefined;
  private stopped = false;

  constructor(
    private readonly writer: ReliableWriter,
    private readonly log: Logger,
    private readonly options: ReplayerOptions = {},
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      // Tried even while the breaker is open: cockatiel half-opens lazily, on the first call after
      // `halfOpenAfter`, so a replayer that waited for it to leave `Open` would wait forever.
      const pass = this.writer.spool.depth > 0 ? this.drain() : Promise.resolve();
      void pass
        .catch((error) => this.log.error({ err: error }, 'spool replay failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 1000);
        });
    };
    this.timer = setTimeout(tick, 0);
    // The breaker closing is the moment the database is back: do not wait for the next tick.
    this.writer.policy.breaker.onReset(() => void this.drain().catch(() => undefined));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over every sealed segment; concurrent callers share it. */
  drain(): Promise<ReplayPass> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<ReplayPass> {
    const spool = this.writer.spool;
    await spool.seal();
    let replayed = 0;
    for await (const segment of spool.sealedSegments()) {
      const done = await mapInOrder(segment.records, this.options.concurrency ?? 8, async (r) => {
        const result = await this.writer.replay(r);
        return result.status !== 'UNAVAILABLE';
      });
      replayed += done.filter(Boolean).length;
      if (done.some((ok) => !ok) || this.stopped) {
        this.log.info({ segment: segment.name, replayed }, 'spool replay paused: database unavailable');
        return { replayed, interrupted: true };
      }
      await spool.remove(segment.name);
    }
    if (replayed > 0) this.log.info({ replayed, depth: spool.depth }, 'spool replayed');
    return { replayed, interrupted: false };
  }
}

/**
 * Runs `fn` over items with at most `limit` in flight, started in order; once one reports false
 * (database away) no further item is started.
 */
async function mapInOrder<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<boolean>,
): Promise<boolean[]> {
  const results: boolean[] = [];
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      const ok = await fn(items[index]!);
      results[index] = ok;
      if (!ok) failed = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return items.map((_, i) => results[i] ?? false);
}
