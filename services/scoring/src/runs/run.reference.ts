import type { AssayContext } from '@assay/kit';
import type { RunService } from './run.service.ts';

/**
 * Resolves `ScoringRun` entity references coming from the gateway, in the caller's tenant: another
 * tenant's run resolves to null, as an unknown one does.
 */
export const runReference = (runs: RunService) => ({
  ScoringRun: {
    __resolveReference: (ref: { id: string }, { caller }: AssayContext) =>
      runs.find(String(ref.id), caller.tenant),
  },
});
