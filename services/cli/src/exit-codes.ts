/**
 * What `assay` exits with; CI scripts branch on these, so they never change meaning.
 * `score`: 0 scored, verified and at or above `--min-score`; 1 below it; 2 the run ended in ERROR or
 * CANCELLED; 3 accepted, but a verified score could not be confirmed in time; 4 usage or input
 * error, including configuration: no API key, or one refused (401) or lacking a scope (403); 5 Assay unreachable (or failing on its side). Other commands use 0, 1 (something is not
 * right: `doctor` found a problem, a watched run failed), 4 and 5 the same way.
 */
export const EXIT = {
  OK: 0,
  BELOW_THRESHOLD: 1,
  UNHEALTHY: 1,
  RUN_FAILED: 2,
  NOT_VERIFIED: 3,
  USAGE: 4,
  UNREACHABLE: 5,
  /** `review` only: the decision is REJECT (REVISE is 1). */
  REJECTED: 6,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports in one line and exits with its code; never a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.USAGE);
  }
}

export class UnreachableError extends CliError {
  constructor(url: string, reason: string) {
    super(`Assay is unreachable at ${url}: ${reason}`, EXIT.UNREACHABLE);
  }
}
