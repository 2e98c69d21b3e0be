import type { AssayContext } from '@assay/kit';
import { Arg, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { FailureService } from '../failures/failure.service.ts';
import type { CatalogService } from './catalog.service.ts';
import { CatalogEntry } from './catalog-entry.entity.ts';
import { CatalogEntryInput } from './catalog-entry.inputs.ts';

@Resolver(() => CatalogEntry)
export class CatalogResolver {
  constructor(
    private readonly catalog: CatalogService,
    private readonly failures: FailureService,
  ) {}

  /** The shipped catalog with the caller's tenant's own entries over it. */
  @Query(() => [CatalogEntry], { description: 'Every known failure, by error code.' })
  catalogEntries(@Ctx() { caller }: AssayContext): Promise<CatalogEntry[]> {
    return this.catalog.list(caller.tenant);
  }

  @Authorized('admin')
  @Mutation(() => CatalogEntry)
  upsertCatalogEntry(
    @Arg('input', () => CatalogEntryInput) input: CatalogEntryInput,
    @Ctx() { caller }: AssayContext,
  ): Promise<CatalogEntry> {
    return this.catalog.upsert(input, caller);
  }

  @Authorized('admin')
  @Mutation(() => Int, {
    description: 'Matches the failures of the last `sinceHours` again; answers how many changed.',
  })
  rematchFailures(
    @Arg('sinceHours', () => Int) sinceHours: number,
    @Ctx() { caller }: AssayContext,
  ): Promise<number> {
    return this.failures.rematch(sinceHours, caller);
  }
}
