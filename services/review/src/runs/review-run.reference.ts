import type { ReviewRunService } from './review-run.service.ts';

/** Resolves `ReviewRun` entity references coming from the gateway. */
export const reviewRunReference = (runs: ReviewRunService) => ({
  ReviewRun: {
    __resolveReference: (ref: { id: string }) => runs.find(ref.id),
  },
});
