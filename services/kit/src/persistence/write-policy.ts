import {
  BrokenCircuitError,
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  IsolatedCircuitError,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import type { Logger } from '../logging/logger.ts';
import { classifyDbError } from './classify-error.ts';

export interface WritePolicyOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Consecutive transient failures that open the breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open before one probe is let through. */
  breakerHalfOpenMs: number;
  /**
   * Writes in flight at once; the rest wait their turn. Kept below the pool size, so a burst queues
   * here instead of timing out on the pool, which would look like an outage and trip the breaker.
   */
  concurrency: number;
  /**
   * Group commits in flight at once (at most `concurrency`). Writes that arrive while they are all
   * busy wait and go out together in the next one: fewer slots, bigger batches.
   */
  groupSlots?: number;
}

export const DEFAULT_WRITE_POLICY: WritePolicyOptions = {
  timeoutMs: 5000,
  retries: 4,
  retryBaseMs: 50,
  retryMaxMs: 2000,
  breakerThreshold: 5,
  breakerHalfOpenMs: 5000,
  concurrency: 8,
  groupSlots: 2,
};

/** The database is unreachable or overloaded: worth another attempt later. */
export function isTransient(error: unknown): boolean {
  return error instanceof TaskCancelledError || classifyDbError(error).errorClass === 'transient';
}

/** The breaker refused the call without trying it. */
export function isBreakerOpen(error: unknown): boolean {
  return error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError;
}

/**
 * One policy per database, shared by every write of the process: a bound on writes in flight around
 * retry (exponential backoff with decorrelated jitter) around a consecutive-failure breaker around a
 * per-attempt timeout. So a breaker that opens mid-retry stops the retries at once, and a timeout
 * counts as a failure. Only the database's unavailability is retried or trips the breaker: an error
 * a record causes by its content (or a read-back that does not match) would happen again.
 */
export function createWritePolicy(options: WritePolicyOptions, log: Logger) {
  const breaker = circuitBreaker(handleWhen(isTransient), {
    halfOpenAfter: options.breakerHalfOpenMs,
    breaker: new ConsecutiveBreaker(options.breakerThreshold),
  });
  const retries = retry(handleWhen(isTransient), {
    maxAttempts: options.retries,
    backoff: new ExponentialBackoff({ initialDelay: options.retryBaseMs, maxDelay: options.retryMaxMs }),
  });
  const perAttempt = timeout(options.timeoutMs, TimeoutStrategy.Aggressive);
  const slots = bulkhead(options.concurrency, Number.POSITIVE_INFINITY);
  breaker.onBreak(() => log.warn('database circuit breaker opened: writes go to the spool'));
  breaker.onHalfOpen(() => log.info('database circuit breaker half-open: probing'));
  breaker.onReset(() => log.info('database circuit breaker closed'));
  return {
    options,
    policy: wrap(slots, retries, breaker, perAttempt),
    /**
     * A group commit's one attempt: the same bound on writes in flight and the same per-attempt
     * timeout, but no retry and no breaker. A batch that fails is not retried as a batch: each of its
     * writes goes through `policy` on its own, so what the breaker counts is what it always counted.
     */
    batch: wrap(slots, perAttempt),
    breaker,
    retries,
    get state(): CircuitState {
      return breaker.state;
    },
  };
}

export type WritePolicy = ReturnType<typeof createWritePolicy>;
export { CircuitState };
