import { metrics } from '@opentelemetry/api';

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

/** The series the dashboards and alerts read exist from the start, at 0. */
export function initLlmMetrics(): void {
  for (const outcome of ['ok', 'rate_limited', 'server_error', 'unavailable'])
    llm().requests.add(0, { outcome });
}
