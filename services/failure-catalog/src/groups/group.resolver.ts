import { BadUserInputError, ConnectionType, isUuid } from '@assay/kit';
import { Arg, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { FailureMatch } from '../failures/failure-match.entity.ts';
import { FailureGroup } from './failure-group.entity.ts';
import { FailureGroupFilter, RecoveryUpdateInput } from './group.inputs.ts';
import type { GroupService } from './group.service.ts';

const FailureGroupConnection = ConnectionType(FailureGroup, 'FailureGroupConnection');

const checkId = (id: string) => {
  if (!isUuid(id)) throw new BadUserInputError(`id ${JSON.stringify(id)} is not a failure group id (a UUID)`);
  return id;
};

@Resolver(() => FailureGroup)
export class GroupResolver {
  constructor(private readonly groups: GroupService) {}

  @Query(() => FailureGroupConnection, { description: 'Failure groups, newest first seen first.' })
  failureGroups(
    @Arg('filter', () => FailureGroupFilter, { nullable: true }) filter: FailureGroupFilter | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return this.groups.list(filter, first, after);
  }

  @Query(() => FailureGroup, { nullable: true })
  failureGroup(@Arg('id', () => ID) id: string): Promise<FailureGroup | null> {
    return this.groups.find(checkId(id));
  }

  @Mutation(() => FailureGroup, {
    description: 'Sets the recovery status of a group and all its occurrences.',
  })
  updateFailureGroupRecovery(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => RecoveryUpdateInput) input: RecoveryUpdateInput,
  ): Promise<FailureGroup> {
    return this.groups.setStatus(checkId(id), input.status);
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
