import { type AssayContext, ConnectionType } from '@assay/kit';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { CatalogService } from '../catalog/catalog.service.ts';
import { CatalogEntry } from '../catalog/catalog-entry.entity.ts';
import type { FailureService } from '../failures/failure.service.ts';
import { FailureMatch } from '../failures/failure-match.entity.ts';
import { checkId } from '../ids.ts';
import { RecoveryUpdateInput } from '../recovery/recovery.inputs.ts';
import { FailureGroup } from './failure-group.entity.ts';
import { FailureGroupFilter } from './group.inputs.ts';
import type { GroupService } from './group.service.ts';

const FailureGroupConnection = ConnectionType(FailureGroup, 'FailureGroupConnection');

@Resolver(() => FailureGroup)
export class GroupResolver {
  constructor(
    private readonly groups: GroupService,
    private readonly failures: FailureService,
    private readonly catalog: CatalogService,
  ) {}

  @Query(() => FailureGroupConnection, { description: 'Failure groups, newest first seen first.' })
  failureGroups(
    @Arg('filter', () => FailureGroupFilter, { nullable: true }) filter: FailureGroupFilter | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { caller }: AssayContext,
  ) {
    return this.groups.list(filter, first, after, caller.tenant);
  }

  @Query(() => FailureGroup, { nullable: true })
  failureGroup(
    @Arg('id', () => ID) id: string,
    @Ctx() { caller }: AssayContext,
  ): Promise<FailureGroup | null> {
    return this.groups.find(checkId('failure group', id), caller.tenant);
  }

  @Mutation(() => FailureGroup, {
    description: 'Sets the recovery status of a group and all its occurrences.',
  })
  updateFailureGroupRecovery(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => RecoveryUpdateInput) input: RecoveryUpdateInput,
    @Ctx() { caller }: AssayContext,
  ): Promise<FailureGroup> {
    return this.groups.setStatus(checkId('failure group', id), input, caller);
  }

  @FieldResolver(() => FailureMatch, {
    nullable: true,
    description: 'The occurrence that made it REGRESSED.',
  })
  regressedBy(@Root() group: FailureGroup): Promise<FailureMatch | null> | null {
    return group.regressedById ? this.failures.find(group.regressedById, group.tenantId) : null;
  }

  @FieldResolver(() => CatalogEntry, { nullable: true })
  catalogEntry(@Root() group: FailureGroup): Promise<CatalogEntry | null> | null {
    return group.catalogEntryId ? this.catalog.findById(group.catalogEntryId, group.tenantId) : null;
  }

  @FieldResolver(() => Int, { description: 'Distinct runs among its occurrences.' })
  runsAffected(@Root() group: FailureGroup): Promise<number> {
    return this.groups.runsAffected(group.id);
  }
}

@Resolver(() => FailureMatch)
export class FailureGroupFieldResolver {
  constructor(private readonly groups: GroupService) {}

  @FieldResolver(() => FailureGroup, { nullable: true, description: 'The group of its fingerprint.' })
  group(@Root() failure: FailureMatch): Promise<FailureGroup | null> | null {
    return failure.groupId ? this.groups.find(failure.groupId, failure.tenantId) : null;
  }
}
