import { metrics } from '@opentelemetry/api';
import { DEFAULT_LLM_PRICES, estimateCost, type LlmPrices } from './llm-prices.ts';

/** Attempt outcomes kept as label values; any other HTTP status is counted by its class. */
const OUTCOMES = new Set([
  'ok',
  'rate_limited',
  'server_error',
  'bad_gateway',
  'unavailable',
  'gateway_timeout',
  'timeout',
  'connection',
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'request_timeout',
  'conflict',
  'unprocessable',
]);

let instruments:
  | {
      requests: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
      duration: ReturnType<ReturnType<typeof metrics.getMeter>['createHistogram']>;
      retries: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
      tokens: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
      cost: ReturnType<ReturnType<typeof metrics.getMeter>['createCounter']>;
    }
  | undefined;

/** Created on first use: after telemetry has set the meter provider. */
function llm() {
  instruments ??= {
    requests: metrics.getMeter('assay').createCounter('assay_llm_requests', {
      description:
        'Model requests (every attempt, retries included), by outcome: ok, rate_limited, server_error, timeout, …',
    }),
    duration: metrics.getMeter('assay').createHistogram('assay_llm_request_duration_seconds', {
      description: 'One model request (one attempt), by outcome',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120] },
    }),
    retries: metrics.getMeter('assay').createCounter('assay_llm_retries', {
      description: 'Model requests retried, by the class of failure that caused the retry',
    }),
    tokens: metrics.getMeter('assay').createCounter('assay_llm_tokens', {
      description: 'Tokens of LLM calls, by service, model and kind (input or output)',
    }),
    cost: metrics.getMeter('assay').createCounter('assay_llm_estimated_cost_dollars', {
      description:
        'Estimated spend on the model in US dollars, by service and model, from list prices (ASSAY_LLM_PRICES)',
    }),
  };
  return instruments;
}

/** A reason of `classify` (or `ok`) as a bounded label value. */
export function outcomeLabel(reason: string): string {
  if (OUTCOMES.has(reason)) return reason;
  const status = /^http_(\d)\d\d$/.exec(reason);
  return status ? `http_${status[1]}xx` : 'other';
}

export function recordLlmAttempt(reason: string, seconds: number): void {
  const outcome = outcomeLabel(reason);
  llm().requests.add(1, { outcome });
  llm().duration.record(seconds, { outcome });
}

/** A retry about to happen after a failure of class `reason`. */
export function recordLlmRetry(reason: string): void {
  llm().retries.add(1, { reason: outcomeLabel(reason) });
}

let prices: LlmPrices = DEFAULT_LLM_PRICES;

/** Counts one response's tokens and its estimated cost (nothing for a model without a price). */
export function recordLlmUsage(service: string, model: string, input: number, output: number): void {
  llm().tokens.add(input, { service, model, kind: 'input' });
  llm().tokens.add(output, { service, model, kind: 'output' });
  const dollars = estimateCost(prices, model, input, output);
  if (dollars !== null) llm().cost.add(dollars, { service, model });
}

/** The series the dashboards and alerts read exist from the start, at 0. */
export function initLlmMetrics(priceOverrides: LlmPrices = {}): void {
  prices = { ...DEFAULT_LLM_PRICES, ...priceOverrides };
  for (const outcome of ['ok', 'rate_limited', 'server_error', 'unavailable'])
    llm().requests.add(0, { outcome });
  for (const reason of ['rate_limited', 'server_error', 'timeout']) llm().retries.add(0, { reason });
}
