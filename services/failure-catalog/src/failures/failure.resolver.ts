import { type AssayContext, ConnectionType } from '@assay/kit';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { CatalogEntry } from '../catalog/catalog-entry.entity.ts';
import { FailureFilter } from './failure.inputs.ts';
import type { FailureService } from './failure.service.ts';
import { FailureMatch } from './failure-match.entity.ts';
import { FailureStats } from './failure-stats.ts';

const FailureMatchConnection = ConnectionType(FailureMatch, 'FailureMatchConnection');

/** Every root field answers the caller's tenant only: another tenant's id is an unknown id. */
@Resolver(() => FailureMatch)
export class FailureResolver {
  constructor(
    private readonly failureService: FailureService,
    private readonly catalog: CatalogService,
  ) {}

  @Query(() => FailureMatch, { nullable: true })
  failure(@Arg('id', () => ID) id: string, @Ctx() { caller }: AssayContext): Promise<FailureMatch | null> {
    return this.failureService.find(id, caller.tenant);
  }

  @Query(() => FailureMatchConnection, { description: 'Failures, newest first.' })
  failures(
    @Arg('filter', () => FailureFilter, { nullable: true }) filter: FailureFilter | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { caller }: AssayContext,
  ) {
    return this.failureService.list(filter, first, after, caller.tenant);
  }

  @Query(() => FailureMatchConnection, {
    description: 'Failures nobody has recovered or ignored yet, newest first.',
  })
  unrecoveredFailures(
    @Arg('category', () => String, { nullable: true }) category: string | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { caller }: AssayContext,
  ) {
    return this.failureService.unrecovered(category, first, after, caller.tenant);
  }

  @Query(() => FailureStats)
  failureStats(
    @Arg('sinceHours', () => Int, { defaultValue: 24 }) sinceHours: number,
    @Ctx() { caller }: AssayContext,
  ): Promise<FailureStats> {
    return this.failureService.stats(sinceHours, caller.tenant);
  }

  @FieldResolver(() => CatalogEntry, { nullable: true })
  catalogEntry(@Root() failure: FailureMatch): Promise<CatalogEntry | null> | null {
    return failure.catalogEntryId ? this.catalog.findById(failure.catalogEntryId, failure.tenantId) : null;
  }
}
