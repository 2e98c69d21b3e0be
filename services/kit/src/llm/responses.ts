import type { Span } from '@opentelemetry/api';
import type OpenAI from 'openai';
import type { Response, ResponseCreateParamsNonStreaming } from 'openai/resources/responses/responses';
import { LlmIncompleteError, LlmInvalidOutputError, LlmRefusalError, LlmRequestError } from './llm-errors.ts';
import { recordLlmAttempt, recordLlmRetry, recordLlmUsage } from './llm-metrics.ts';
import { backoffMs, classify, wait } from './retry.ts';

export interface LlmRetryOptions {
  /** Retries after the first attempt, for transient failures only. */
  maxRetries: number;
  retryBaseMs: number;
  /** Caps every wait, `retry-after` included. */
  retryMaxMs: number;
}

export interface LlmCallOptions extends LlmRetryOptions {
  signal: AbortSignal;
  /** Before each attempt (1-based): a heartbeat, say. */
  onAttempt?(attempt: number): Promise<void> | void;
  /** Gets an event per retry (reason, delay) and the attempt count; never a payload. */
  span?: Span;
}

/**
 * One Responses API call with our retries (the client's own must be off): 429 (honouring
 * `retry-after`), 5xx, timeouts and lost connections are retried up to `maxRetries`; 400, 401,
 * 403 are not. Stops at once when `signal` aborts. Resolves with the response and the attempts made.
 */
export async function createResponse(
  client: OpenAI,
  body: ResponseCreateParamsNonStreaming,
  options: LlmCallOptions,
): Promise<{ response: Response; attempts: number }> {
  const { signal, span } = options;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    span?.setAttribute('assay.llm.attempts', attempt);
    await options.onAttempt?.(attempt);
    const startedAt = performance.now();
    try {
      const response = await client.responses.create(body, { signal });
      recordLlmAttempt('ok', (performance.now() - startedAt) / 1000);
      return { response, attempts: attempt };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const failure = classify(error);
      if (!failure) throw error;
      recordLlmAttempt(failure.reason, (performance.now() - startedAt) / 1000);
      if (!failure.retryable || attempt > options.maxRetries) {
        throw new LlmRequestError(
          failure.reason,
          failure.status,
          failure.retryable,
          attempt,
          failure.upstreamCode,
          failure.requestId,
        );
      }
      recordLlmRetry(failure.reason);
      const delay = backoffMs(attempt, failure, options.retryBaseMs, options.retryMaxMs);
      span?.addEvent('llm retry', {
        'assay.llm.attempt': attempt,
        'assay.llm.reason': failure.reason,
        'assay.llm.delay_ms': Math.round(delay),
      });
      await wait(delay, signal);
    }
  }
}

/** The output text, once the response is known to be a complete, non-refused answer. */
export function answerText(response: Response): string {
  if (response.status === 'incomplete') {
    throw new LlmIncompleteError(response.incomplete_details?.reason ?? 'unknown');
  }
  if (response.status && response.status !== 'completed') {
    throw new LlmInvalidOutputError(`response status is ${response.status}`);
  }
  for (const item of response.output) {
    if (item.type === 'message' && item.content.some((part) => part.type === 'refusal')) {
      throw new LlmRefusalError();
    }
  }
  if (!response.output_text) throw new LlmInvalidOutputError('output has no text');
  return response.output_text;
}

/** Counts a response's tokens (`assay_llm_tokens_total{service,model,kind}`) and estimated cost. */
export function countTokens(service: string, response: Response): void {
  recordLlmUsage(
    service,
    response.model,
    response.usage?.input_tokens ?? 0,
    response.usage?.output_tokens ?? 0,
  );
}
