import type { VariableName } from './variables.ts';

/** The subgraphs of the supergraph: where each listens and how the gateway finds it. */
export const SUBGRAPHS = [
  { name: 'scoring', portVariable: 'ASSAY_SCORING_PORT', urlVariable: 'ASSAY_SCORING_URL' },
  { name: 'review', portVariable: 'ASSAY_REVIEW_PORT', urlVariable: 'ASSAY_REVIEW_URL' },
  {
    name: 'failure-catalog',
    portVariable: 'ASSAY_FAILURE_CATALOG_PORT',
    urlVariable: 'ASSAY_FAILURE_CATALOG_URL',
  },
] as const satisfies readonly { name: string; portVariable: VariableName; urlVariable: VariableName }[];

export type SubgraphName = (typeof SUBGRAPHS)[number]['name'];
