import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { AssayContext } from '../../auth/subgraph-auth.ts';
import { DeadLetter, DeadLetterStatus } from '../dead-letter.entity.ts';
import type { DeadLetterService } from './dead-letter.service.ts';
import {
  DeadLetterResolution,
  PersistenceFailure,
  PersistenceFailureConnection,
} from './persistence-failure.type.ts';

/**
 * The caller's tenant's dead letters over GraphQL, for `admin` only (payloads hold the tenant's
 * data); every rule lives in DeadLetterService.
 */
@Resolver(() => PersistenceFailure)
export class DeadLetterResolver {
  constructor(private readonly deadLetters: DeadLetterService) {}

  @Authorized('admin')
  @Query(() => PersistenceFailureConnection, { description: 'Writes that failed permanently, newest first.' })
  persistenceFailures(
    @Arg('status', () => DeadLetterStatus, { nullable: true }) status: DeadLetterStatus | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { caller }: AssayContext,
  ) {
    return this.deadLetters.list(status, first, after, caller.tenant);
  }

  @Authorized('admin')
  @Mutation(() => PersistenceFailure, {
    description: 'Writes the stored payload again: RESOLVED when saved, PENDING with the new error if not.',
  })
  replayPersistenceFailure(
    @Arg('id', () => ID) id: string,
    @Ctx() { caller }: AssayContext,
  ): Promise<DeadLetter> {
    return this.deadLetters.replay(id, caller);
  }

  @Authorized('admin')
  @Mutation(() => PersistenceFailure, { description: 'Closes a failure by hand, with an optional note.' })
  resolvePersistenceFailure(
    @Arg('id', () => ID) id: string,
    @Arg('resolution', () => DeadLetterResolution) resolution: DeadLetterResolution,
    @Arg('note', () => String, { nullable: true }) note: string | null,
    @Ctx() { caller }: AssayContext,
  ): Promise<DeadLetter> {
    return this.deadLetters.resolve(id, resolution, note, caller);
  }
}
