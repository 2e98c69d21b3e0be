import type { AssayContext } from '@assay/kit';
import type { ReviewRunService } from './review-run.service.ts';

/**
 * Resolves `ReviewRun` entity references coming from the gateway, in the caller's tenant: another
 * tenant's run resolves to null, as an unknown one does.
 */
export const reviewRunReference = (runs: ReviewRunService) => ({
  ReviewRun: {
    __resolveReference: (ref: { id: string }, { caller }: AssayContext) =>
      runs.find(String(ref.id), caller.tenant),
  },
});
