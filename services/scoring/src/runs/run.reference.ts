import type { RunService } from './run.service.ts';

/** Resolves `ScoringRun` entity references coming from the gateway. */
export const runReference = (runs: RunService) => ({
  ScoringRun: {
    __resolveReference: (ref: { id: string }) => runs.find(ref.id),
  },
});
