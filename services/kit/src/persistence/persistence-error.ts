import { AppError } from '../errors.ts';

/** A write that failed for good: not retried, dead-lettered with its payload. */
export class PermanentWriteError extends AppError {
  constructor(
    message: string,
    /** SQLSTATE or a short reason; safe to show and to use as a label. */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super('WRITE_FAILED', message, false, options);
  }
}

/**
 * The row read back after commit is not what was written: counted on its own and dead-lettered,
 * not retried (the same record would be stored the same way again).
 */
export class VerificationError extends AppError {
  constructor(message: string) {
    super('VERIFICATION_FAILED', message, false);
  }
}

/** The idempotency key is already taken by different content: a caller bug, never retried. */
export class IdempotencyConflictError extends AppError {
  constructor(key: string) {
    super('IDEMPOTENCY_CONFLICT', `the idempotency key "${key}" was already used for different content`);
  }
}
