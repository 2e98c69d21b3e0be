// LLM calls through the OpenAI Responses API, shared by the scorer and the reviewer.
export { LlmIncompleteError, LlmInvalidOutputError, LlmRefusalError, LlmRequestError } from './llm-errors.ts';
export { initLlmMetrics } from './llm-metrics.ts';
export {
  answerText,
  countTokens,
  createResponse,
  type LlmCallOptions,
  type LlmRetryOptions,
} from './responses.ts';
export { retryAfterMs } from './retry.ts';
