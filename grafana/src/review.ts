import { dashboard, rate, timeseries } from './panels.ts';
import { runPanels } from './runs.ts';

export default dashboard(
  'assay-review',
  'Assay — review',
  'Review runs: throughput, statuses, queue, execution, watchdog, tokens.',
  [
    ...runPanels('review'),
    timeseries('Model tokens', 'Tokens the reviews used, by model and kind (input, output).', 'short', [
      { expr: rate('assay_llm_tokens_total', 'model, kind', 'job="review"'), legend: '{{model}} {{kind}}' },
    ]),
  ],
);
