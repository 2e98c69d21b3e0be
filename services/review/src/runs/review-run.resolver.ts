import { ConnectionType } from '@assay/kit';
import { Arg, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ReviewRun } from './review-run.entity.ts';
import { StartReviewInput } from './review-run.inputs.ts';
import type { ReviewRunService } from './review-run.service.ts';

const ReviewRunConnection = ConnectionType(ReviewRun, 'ReviewRunConnection');

@Resolver(() => ReviewRun)
export class ReviewRunResolver {
  constructor(private readonly runs: ReviewRunService) {}

  @Query(() => ReviewRun, { nullable: true, description: 'A review run by id; null when it does not exist.' })
  reviewRun(@Arg('id', () => ID) id: string): Promise<ReviewRun | null> {
    return this.runs.find(id);
  }

  @Query(() => ReviewRunConnection, { description: 'Review runs, newest first.' })
  reviewRuns(
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ) {
    return this.runs.list(first, after);
  }

  @Mutation(() => ReviewRun, { description: 'Starts a review of a proposal.' })
  startReview(@Arg('input', () => StartReviewInput) input: StartReviewInput): Promise<ReviewRun> {
    return this.runs.start(input);
  }

  @FieldResolver(() => ReviewRun, { nullable: true, description: 'The run this one revises.' })
  parentRun(@Root() run: ReviewRun): Promise<ReviewRun | null> | null {
    return run.parentRunId ? this.runs.find(run.parentRunId) : null;
  }
}
