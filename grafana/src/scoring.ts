import { dashboard } from './panels.ts';
import { runPanels } from './runs.ts';

export default dashboard(
  'assay-scoring',
  'Assay — scoring',
  'Scoring runs: throughput, statuses, queue, execution, watchdog.',
  runPanels('scoring'),
);
