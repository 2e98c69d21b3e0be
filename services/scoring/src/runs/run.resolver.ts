import { ConnectionType } from '@assay/kit';
import { Arg, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { ScoringRun } from './run.entity.ts';
import { StartScoringRunInput } from './run.inputs.ts';
import type { RunService } from './run.service.ts';

const ScoringRunConnection = ConnectionType(ScoringRun, 'ScoringRunConnection');

@Resolver(() => ScoringRun)
export class RunResolver {
  constructor(private readonly runs: RunService) {}

  @Query(() => ScoringRun, { nullable: true, description: 'A run by id; null when it does not exist.' })
  scoringRun(@Arg('id', () => ID) id: string): Promise<ScoringRun | null> {
    return this.runs.find(id);
  }

  @Query(() => ScoringRunConnection, { description: 'Runs, newest first.' })
  scoringRuns(
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return this.runs.list(first, after);
  }

  @Mutation(() => ScoringRun, { description: 'Queues a run and returns at once with status QUEUED.' })
  startScoringRun(
    @Arg('input', () => StartScoringRunInput) input: StartScoringRunInput,
  ): Promise<ScoringRun> {
    return this.runs.start(input);
  }
}
