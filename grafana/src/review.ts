import { dashboard, quantile, rate, series, timeseries } from './panels.ts';
import { runPanels } from './runs.ts';

export default dashboard(
  'assay-review',
  'Assay — review',
  'Review runs: throughput, statuses, queue, execution, watchdog; personas, decisions, tokens.',
  [
    ...runPanels('review'),
    timeseries(
      'Persona latency',
      'One persona review (its model calls and retries included), p50 and p99 by persona.',
      's',
      [
        {
          expr: quantile(0.5, 'assay_review_persona_duration_seconds', 'persona'),
          legend: '{{persona}} p50',
        },
        {
          expr: quantile(0.99, 'assay_review_persona_duration_seconds', 'persona'),
          legend: '{{persona}} p99',
        },
      ],
    ),
    timeseries('Persona failures', 'Persona reviews given up after their retries, by persona.', 'short', [
      {
        expr: `sum by (persona) (increase(${series('assay_review_persona_failures_total')}[$__rate_interval]))`,
        legend: '{{persona}}',
      },
    ]),
    timeseries(
      'Decisions by label',
      'Decisions stored per second, by label (APPROVE, REVISE, REJECT).',
      'ops',
      [{ expr: rate('assay_review_decisions_total', 'label'), legend: '{{label}}' }],
    ),
    timeseries('Partial decisions', 'Share of decisions made with personas missing.', 'percentunit', [
      {
        expr: `sum(rate(${series('assay_review_decisions_total', 'partial="true"')}[$__rate_interval])) / clamp_min(sum(rate(${series('assay_review_decisions_total')}[$__rate_interval])), 1e-9)`,
        legend: 'partial',
      },
    ]),
    timeseries('Model tokens', 'Tokens the reviews used, by model and kind (input, output).', 'short', [
      { expr: rate('assay_llm_tokens_total', 'model, kind', 'job="review"'), legend: '{{model}} {{kind}}' },
    ]),
  ],
);
