import { setTimeout as sleep } from 'node:timers/promises';
import { classifyDbError } from '../persistence/classify-error.ts';

/**
 * Runs `work` until it gets past the database's unavailability: a transient error (connection
 * lost, server starting or shutting down, a timeout) is retried with capped backoff; any other
 * error, or `signal` aborting, ends the wait. For background work that has nothing better to do
 * than wait, such as a job worker that cannot record anything while PostgreSQL is away.
 */
export async function untilDatabaseAnswers<T>(
  work: () => Promise<T>,
  options: { signal?: AbortSignal; maxDelayMs?: number } = {},
): Promise<T> {
  let delay = 100;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (options.signal?.aborted || classifyDbError(error).errorClass !== 'transient') throw error;
      await sleep(delay, undefined, { signal: options.signal }).catch(() => {
        throw error;
      });
      delay = Math.min(delay * 2, options.maxDelayMs ?? 2000);
    }
  }
}
