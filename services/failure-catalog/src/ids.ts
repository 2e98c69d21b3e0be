import { BadUserInputError, isUuid } from '@assay/kit';

/** Ids here are UUIDs: anything else is a client mistake, said so, not a lookup that finds nothing. */
export function checkId(what: string, id: string): string {
  if (!isUuid(id)) throw new BadUserInputError(`id ${JSON.stringify(id)} is not a ${what} id (a UUID)`);
  return id;
}
