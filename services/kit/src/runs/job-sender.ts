import type { Logger } from '../logging/logger.ts';
import type { RunJob } from './run-queue.ts';

/**
 * Sends a run attempt's job, and keeps trying the ones it could not send (the database away) every
 * `retryMs` until they are sent: a run accepted around an outage is queued as soon as PostgreSQL is
 * back, not when the watchdog's heartbeat timeout finds it. Sending an attempt twice queues it once
 * (its job id is derived from the attempt), so a retry is always safe. The watchdog remains the
 * backstop for a process that dies with jobs unsent.
 */
export class JobSender {
  private readonly unsent = new Map<string, RunJob>();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly sendJob: (job: RunJob) => Promise<unknown>,
    private readonly log: Logger,
    private readonly retryMs = 1000,
    /** Bounded: past it the oldest are left to the watchdog. */
    private readonly maxUnsent = 100_000,
  ) {}

  /** Resolves once sent or remembered for a later try; never rejects. */
  async send(job: RunJob): Promise<void> {
    try {
      await this.sendJob(job);
      this.unsent.delete(key(job));
    } catch (error) {
      if (!this.unsent.has(key(job))) {
        this.log.warn(
          { runId: job.runId, err: error },
          'run not queued yet; retrying when the database is back',
        );
        if (this.unsent.size >= this.maxUnsent) this.unsent.delete(this.unsent.keys().next().value!);
        this.unsent.set(key(job), job);
      }
    }
  }

  get pending(): number {
    return this.unsent.size;
  }

  start(): void {
    const tick = () => {
      this.sending = this.retry().finally(() => {
        this.sending = undefined;
        if (this.timer) this.timer = setTimeout(tick, this.retryMs);
      });
    };
    this.timer = setTimeout(tick, this.retryMs);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.sending;
  }

  private async retry(): Promise<void> {
    for (const job of [...this.unsent.values()]) {
      await this.send(job);
      if (this.unsent.has(key(job))) return; // still away: try the rest next time
    }
  }
}

const key = (job: RunJob) => `${job.runId}:${job.attempt}`;
