import { Arg, Mutation, Query, Resolver } from 'type-graphql';
import type { CatalogService } from './catalog.service.ts';
import { CatalogEntry } from './catalog-entry.entity.ts';
import { CatalogEntryInput } from './catalog-entry.inputs.ts';

@Resolver(() => CatalogEntry)
export class CatalogResolver {
  constructor(private readonly catalog: CatalogService) {}

  @Query(() => [CatalogEntry], { description: 'Every known failure, by error code.' })
  catalogEntries(): Promise<CatalogEntry[]> {
    return this.catalog.list();
  }

  @Mutation(() => CatalogEntry)
  upsertCatalogEntry(@Arg('input', () => CatalogEntryInput) input: CatalogEntryInput): Promise<CatalogEntry> {
    return this.catalog.upsert(input);
  }
}
