import type { AssayContext } from '@assay/kit';
import type { FailureService } from './failure.service.ts';

/** Resolves `FailureMatch` entity references for the caller's tenant: another tenant's id is null, as an unknown one. */
export const failureReference = (failures: FailureService) => ({
  FailureMatch: {
    __resolveReference: (ref: { id: string }, { caller }: AssayContext) =>
      failures.find(String(ref.id), caller.tenant),
  },
});
