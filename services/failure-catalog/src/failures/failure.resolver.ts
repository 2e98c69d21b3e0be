import { ConnectionType } from '@assay/kit';
import { Arg, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { CatalogEntry } from '../catalog/catalog-entry.entity.ts';
import { FailureFilter } from './failure.inputs.ts';
import type { FailureService } from './failure.service.ts';
import { FailureMatch } from './failure-match.entity.ts';
import { FailureStats } from './failure-stats.ts';

const FailureMatchConnection = ConnectionType(FailureMatch, 'FailureMatchConnection');

@Resolver(() => FailureMatch)
export class FailureResolver {
  constructor(
    private readonly failureService: FailureService,
    private readonly catalog: CatalogService,
  ) {}

  @Query(() => FailureMatch, { nullable: true })
  failure(@Arg('id', () => ID) id: string): Promise<FailureMatch | null> {
    return this.failureService.find(id);
  }

  @Query(() => FailureMatchConnection, { description: 'Failures, newest first.' })
  failures(
    @Arg('filter', () => FailureFilter, { nullable: true }) filter: FailureFilter | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return this.failureService.list(filter, first, after);
  }

  @Query(() => FailureMatchConnection, {
    description: 'Failures nobody has recovered or ignored yet, newest first.',
  })
  unrecoveredFailures(
    @Arg('category', () => String, { nullable: true }) category: string | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return this.failureService.unrecovered(category, first, after);
  }

  @Query(() => FailureStats)
  failureStats(
    @Arg('sinceHours', () => Int, { defaultValue: 24 }) sinceHours: number,
  ): Promise<FailureStats> {
    return this.failureService.stats(sinceHours);
  }

  @FieldResolver(() => CatalogEntry, { nullable: true })
  catalogEntry(@Root() failure: FailureMatch): Promise<CatalogEntry | null> | null {
    return failure.catalogEntryId ? this.catalog.findById(failure.catalogEntryId) : null;
  }
}
