import type { Logger } from '../logging/logger.ts';
import type { ReliableWriter } from './reliable-writer.ts';
import type { SpoolRecord } from './spool.ts';

export interface ReplayerOptions {
  intervalMs?: number;
  /** Records of a segment written at once (one order key's records always one after another). */
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
      const done = await replayInOrder(segment.records, this.options.concurrency ?? 8, async (r) => {
        try {
          return (await this.writer.replay(r)).status !== 'UNAVAILABLE';
        } catch (error) {
          // A record that cannot even be tried (its payload makes no sense to its write) would
          // stop every pass here, forever: it is set aside and the pass goes on.
          this.log.error({ write: r.write, id: r.id, err: error }, 'spool record cannot be replayed');
          await spool.quarantine({ ...r, reason: 'REPLAY_FAILED' });
          return true;
        }
      });
      replayed += done;
      if (done < segment.records.length || this.stopped) {
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
 * Replays a segment's records with at most `limit` in flight, keeping the order of records that
 * share an order key (one run's steps): those go one after another, others side by side. Once one
 * reports false (database away) nothing further is started. Returns how many completed.
 */
async function replayInOrder(
  records: SpoolRecord[],
  limit: number,
  replay: (record: SpoolRecord) => Promise<boolean>,
): Promise<number> {
  const chains = new Map<string, SpoolRecord[]>();
  for (const record of records) {
    const chain = record.order ?? `record:${record.id}`;
    chains.set(chain, [...(chains.get(chain) ?? []), record]);
  }
  const queue = [...chains.values()];
  let completed = 0;
  let failed = false;
  const worker = async () => {
    for (let chain = queue.shift(); chain && !failed; chain = queue.shift()) {
      for (const record of chain) {
        if (failed || !(await replay(record))) {
          failed = true;
          return;
        }
        completed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
  return completed;
}
