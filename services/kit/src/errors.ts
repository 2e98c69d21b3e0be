/**
 * Typed errors: every failure carries a stable `code` and whether retrying could help.
 * GraphQL maps them to `extensions.code`; persistence and jobs use `retryable`.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A client mistake: the message says what to change. */
export class BadUserInputError extends AppError {
  constructor(message: string) {
    super('BAD_USER_INPUT', message);
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${JSON.stringify(id)} does not exist`);
  }
}
