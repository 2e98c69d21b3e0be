import { Arg, Int, Mutation, Query, Resolver } from 'type-graphql';
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

  @Query(() => [CatalogEntry], { description: 'Every known failure, by error code.' })
  catalogEntries(): Promise<CatalogEntry[]> {
    return this.catalog.list();
  }

  @Mutation(() => CatalogEntry)
  upsertCatalogEntry(@Arg('input', () => CatalogEntryInput) input: CatalogEntryInput): Promise<CatalogEntry> {
    return this.catalog.upsert(input);
  }

  @Mutation(() => Int, {
    description: 'Matches the failures of the last `sinceHours` again; answers how many changed.',
  })
  rematchFailures(@Arg('sinceHours', () => Int) sinceHours: number): Promise<number> {
    return this.failures.rematch(sinceHours);
  }
}
