import { AppError } from '../errors.ts';

/**
 * Errors of LLM calls (the scorer, the reviewer). Messages and fields hold no payload: no diff, no model text, no upstream
 * error message (a 401 body echoes part of the API key; a 400 body can quote the input).
 */

/** The request failed: HTTP error, timeout or lost connection, after our own retries. */
export class LlmRequestError extends AppError {
  constructor(
    /** Bounded, safe as a metric label: `rate_limited`, `server_error`, `timeout`, `unauthorized`, … */
    readonly reason: string,
    /** HTTP status, or null when no response arrived. */
    readonly status: number | null,
    retryable: boolean,
    readonly attempts: number,
    /** OpenAI's error code (`rate_limit_exceeded`, `invalid_api_key`) or the socket error code. */
    readonly upstreamCode: string | null = null,
    /** `x-request-id`, what OpenAI support asks for. */
    readonly requestId: string | null = null,
  ) {
    const detail = [status, upstreamCode].filter((part) => part !== null).join(' ');
    super(
      'LLM_REQUEST_FAILED',
      `LLM request failed: ${reason}${detail ? ` (${detail})` : ''} after ${attempts} attempt${attempts === 1 ? '' : 's'}`,
      retryable,
    );
  }
}

/**
 * The answer does not meet the contract (not JSON, wrong shape, out of range). Not retried: with
 * strict structured outputs the model cannot produce this, so it means the server or model does not
 * honour the schema, and asking again costs tokens without changing that.
 */
export class LlmInvalidOutputError extends AppError {
  constructor(message: string) {
    super('LLM_INVALID_OUTPUT', `LLM answer rejected: ${message}`);
  }
}

/** The answer was cut off (`max_output_tokens`, `content_filter`): the same request would be cut again. */
export class LlmIncompleteError extends AppError {
  constructor(readonly reason: string) {
    super('LLM_INCOMPLETE', `LLM answer incomplete: ${reason}`);
  }
}

/** The model refused; its explanation is not kept, it may quote the input. */
export class LlmRefusalError extends AppError {
  constructor() {
    super('LLM_REFUSED', 'the model refused to answer');
  }
}
