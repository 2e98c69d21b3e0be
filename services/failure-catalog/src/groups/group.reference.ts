import type { AssayContext } from '@assay/kit';
import type { GroupService } from './group.service.ts';

/** Resolves `FailureGroup` entity references for the caller's tenant: another tenant's id is null, as an unknown one. */
export const groupReference = (groups: GroupService) => ({
  FailureGroup: {
    __resolveReference: (ref: { id: string }, { caller }: AssayContext) =>
      groups.find(String(ref.id), caller.tenant),
  },
});
