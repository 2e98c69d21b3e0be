import { setTimeout as sleep } from 'node:timers/promises';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  type OpenAIError,
} from 'openai';

export interface Failure {
  /** Bounded label: see `LlmRequestError.reason`. */
  reason: string;
  status: number | null;
  retryable: boolean;
  /** What the server asked us to wait (`retry-after-ms`, `retry-after`), if anything usable. */
  retryAfterMs: number | null;
  upstreamCode: string | null;
  requestId: string | null;
}

const STATUS_REASONS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  422: 'unprocessable',
  429: 'rate_limited',
  500: 'server_error',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
};

/** Transient on OpenAI's side; 408 and 409 (a lock timeout there) are retried by the SDK too. */
const RETRYABLE_STATUSES = new Set([408, 409, 429, 500, 502, 503, 504]);

/** Classifies an SDK error; anything else (a bug, not a failed call) gets null and is rethrown. */
export function classify(error: unknown): Failure | null {
  if (!(error instanceof APIError) || error instanceof APIUserAbortError) return null;
  if (error instanceof APIConnectionError) {
    return {
      reason: error instanceof APIConnectionTimeoutError ? 'timeout' : 'connection',
      status: null,
      retryable: true,
      retryAfterMs: null,
      upstreamCode: socketCode(error),
      requestId: null,
    };
  }
  const status = error.status ?? 0;
  return {
    reason: STATUS_REASONS[status] ?? `http_${status}`,
    status,
    retryable: RETRYABLE_STATUSES.has(status),
    retryAfterMs: retryAfterMs(error.headers),
    upstreamCode: typeof error.code === 'string' ? error.code : null,
    requestId: error.requestID ?? null,
  };
}

/** `retry-after-ms` (OpenAI's, milliseconds) wins over `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | null {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : null;
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - now) : null;
}

/**
 * The wait before retry number `retry` (1-based): what the server asked for, else exponential
 * backoff with equal jitter (half fixed, half random, so replicas spread out but still back off);
 * never more than `maxMs`.
 */
export function backoffMs(retry: number, failure: Failure, baseMs: number, maxMs: number): number {
  if (failure.retryAfterMs !== null) return Math.min(failure.retryAfterMs, maxMs);
  const exponential = Math.min(baseMs * 2 ** (retry - 1), maxMs);
  return exponential / 2 + Math.random() * (exponential / 2);
}

/** Sleeps, or throws the signal's reason as soon as it is aborted. */
export async function wait(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  }
}

/** undici reports a reset as `fetch failed` caused by e.g. `UND_ERR_SOCKET` / `ECONNRESET`. */
function socketCode(error: OpenAIError): string | null {
  let cause: unknown = error.cause;
  for (let depth = 0; depth < 3 && cause; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return null;
}
