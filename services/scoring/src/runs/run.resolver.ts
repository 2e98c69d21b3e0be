import { type AssayContext, BadUserInputError, ConnectionType, isUuid } from '@assay/kit';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Score } from '../scores/score.entity.ts';
import { ScoringRun } from './run.entity.ts';
import { ScoringRunFilter, StartScoringRunInput } from './run.inputs.ts';
import type { RunService } from './run.service.ts';

const ScoringRunConnection = ConnectionType(ScoringRun, 'ScoringRunConnection');

@Resolver(() => ScoringRun)
export class RunResolver {
  constructor(private readonly runs: RunService) {}

  @Query(() => ScoringRun, {
    nullable: true,
    description: 'A run by id; null when it does not exist; BAD_USER_INPUT when the id is not a UUID.',
  })
  scoringRun(@Arg('id', () => ID) id: string, @Ctx() { caller }: AssayContext): Promise<ScoringRun | null> {
    if (!isUuid(id)) throw new BadUserInputError(`id ${JSON.stringify(id)} is not a run id (a UUID)`);
    return this.runs.find(id, caller.tenant);
  }

  @Query(() => ScoringRunConnection, { description: 'Runs, newest first.' })
  scoringRuns(
    @Arg('filter', () => ScoringRunFilter, { nullable: true }) filter: ScoringRunFilter | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { caller }: AssayContext,
  ) {
    return this.runs.list(filter ?? {}, first, after, caller.tenant);
  }

  @Query(() => [ScoringRun], {
    description:
      'Runs marked DONE without a verified score, finished in the last `sinceHours` but over a minute ago (a score is verified milliseconds after its commit). Must stay empty.',
  })
  unpersistedScores(
    @Arg('sinceHours', () => Int, { defaultValue: 24 }) sinceHours: number,
    @Ctx() { caller }: AssayContext,
  ): Promise<ScoringRun[]> {
    return this.runs.unpersisted(sinceHours, caller.tenant);
  }

  @Mutation(() => ScoringRun, { description: 'Queues a run and returns at once with status QUEUED.' })
  startScoringRun(
    @Arg('input', () => StartScoringRunInput) input: StartScoringRunInput,
    @Ctx() { caller }: AssayContext,
  ): Promise<ScoringRun> {
    return this.runs.start(input, caller.tenant);
  }

  @Mutation(() => ScoringRun, { description: 'Cancels a QUEUED, RUNNING or SCORING run.' })
  cancelScoringRun(@Arg('id', () => ID) id: string, @Ctx() { caller }: AssayContext): Promise<ScoringRun> {
    return this.runs.cancel(id, caller.tenant);
  }

  @FieldResolver(() => Score, { nullable: true, description: 'Set once the run is DONE.' })
  score(@Root() run: ScoringRun): Promise<Score | null> {
    return this.runs.score(run.id);
  }
}
