import { dashboard, latency, rate, series, timeseries } from './panels.ts';

const FAILED = 'outcome=~"rate_limited|server_error|bad_gateway|unavailable|gateway_timeout|http_5xx"';

export default dashboard(
  'assay-llm',
  'Assay — model calls',
  'Every request to the model (each attempt, retries included).',
  [
    timeseries(
      'Requests by outcome',
      'Model requests per second by outcome: ok, rate_limited, server_error, timeout, …',
      'reqps',
      [{ expr: rate('assay_llm_requests_total', 'job, outcome'), legend: '{{job}} {{outcome}}' }],
    ),
    timeseries(
      '429 and 5xx share',
      'Share of requests rate-limited or failed on the provider side.',
      'percentunit',
      [
        {
          expr: `sum by (job) (rate(${series('assay_llm_requests_total', FAILED)}[$__rate_interval])) / clamp_min(sum by (job) (rate(${series('assay_llm_requests_total')}[$__rate_interval])), 1e-9)`,
          legend: '{{job}}',
        },
      ],
    ),
    latency(
      'Request latency',
      'One request (one attempt) to the model, by outcome.',
      'assay_llm_request_duration_seconds',
      'outcome',
    ),
    timeseries('Tokens', 'Tokens per second by service, model and kind (input, output).', 'short', [
      { expr: rate('assay_llm_tokens_total', 'job, model, kind'), legend: '{{job}} {{model}} {{kind}}' },
    ]),
    timeseries(
      'Retries by class',
      'Requests retried per second, by the class of failure that caused the retry (rate_limited, server_error, timeout, connection, …).',
      'reqps',
      [{ expr: rate('assay_llm_retries_total', 'job, reason'), legend: '{{job}} {{reason}}' }],
    ),
    timeseries(
      'Estimated cost by model',
      'Estimated spend in US dollars per hour, by model, from list prices (ASSAY_LLM_PRICES overrides them); models without a price are not counted.',
      'currencyUSD',
      [
        {
          expr: `sum by (model) (rate(${series('assay_llm_estimated_cost_dollars_total')}[$__rate_interval])) * 3600`,
          legend: '{{model}}',
        },
      ],
    ),
  ],
);
