import { type AssayContext, BadUserInputError, ConnectionType, isUuid } from '@assay/kit';
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Decision, ReviewDelta } from '../reviews/decision.entity.ts';
import { PersonaReview } from '../reviews/persona-review.entity.ts';
import { ProposalVersion } from '../reviews/proposal-version.entity.ts';
import { ReviewRun } from './review-run.entity.ts';
import { ReviewRunFilter, ReviseReviewInput, StartReviewInput } from './review-run.inputs.ts';
import type { ReviewRunService } from './review-run.service.ts';

const ReviewRunConnection = ConnectionType(ReviewRun, 'ReviewRunConnection');

function checkRunId(id: string, name = 'id'): string {
  if (!isUuid(id)) throw new BadUserInputError(`${name} ${JSON.stringify(id)} is not a run id (a UUID)`);
  return id;
}

@Resolver(() => ReviewRun)
export class ReviewRunResolver {
  constructor(private readonly runs: ReviewRunService) {}

  @Query(() => ReviewRun, {
    nullable: true,
    description: 'A review run by id; null when it does not exist; BAD_USER_INPUT when the id is not a UUID.',
  })
  reviewRun(@Arg('id', () => ID) id: string, @Ctx() { caller }: AssayContext): Promise<ReviewRun | null> {
    return this.runs.find(checkRunId(id), caller.tenant);
  }

  @Query(() => ReviewRunConnection, { description: 'Review runs, newest first.' })
  reviewRuns(
    @Arg('filter', () => ReviewRunFilter, { nullable: true }) filter: ReviewRunFilter | null,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { caller }: AssayContext,
  ) {
    return this.runs.list(filter ?? {}, first, after, caller.tenant);
  }

  @Mutation(() => ReviewRun, {
    description: 'Queues a review of a proposal and returns at once with QUEUED.',
  })
  startReview(
    @Arg('input', () => StartReviewInput) input: StartReviewInput,
    @Ctx() { caller }: AssayContext,
  ): Promise<ReviewRun> {
    return this.runs.start(input, caller.tenant);
  }

  @Mutation(() => ReviewRun, { description: 'Queues a REVISION of a finished run.' })
  reviseReview(
    @Arg('runId', () => ID) runId: string,
    @Arg('input', () => ReviseReviewInput) input: ReviseReviewInput,
    @Ctx() { caller }: AssayContext,
  ): Promise<ReviewRun> {
    return this.runs.revise(checkRunId(runId, 'runId'), input, caller.tenant);
  }

  @Mutation(() => ReviewRun, { description: 'Cancels a QUEUED or RUNNING review.' })
  cancelReview(@Arg('runId', () => ID) runId: string, @Ctx() { caller }: AssayContext): Promise<ReviewRun> {
    return this.runs.cancel(checkRunId(runId, 'runId'), caller.tenant);
  }

  @FieldResolver(() => ReviewRun, { nullable: true, description: 'The run this one revises.' })
  parentRun(@Root() run: ReviewRun): Promise<ReviewRun | null> | null {
    // A revision's parent is in its own tenant (it was read there to be revised).
    return run.parentRunId ? this.runs.find(run.parentRunId, run.tenantId) : null;
  }

  @FieldResolver(() => [ReviewRun], { description: 'The runs that revise this one, oldest first.' })
  revisions(@Root() run: ReviewRun): Promise<ReviewRun[]> {
    return this.runs.revisions(run);
  }

  @FieldResolver(() => ProposalVersion, { nullable: true, description: 'Set once the idea is expanded.' })
  proposal(@Root() run: ReviewRun): Promise<ProposalVersion | null> {
    return this.runs.proposal(run.id);
  }

  @FieldResolver(() => [PersonaReview], {
    description: 'Every persona’s review stored so far, failures included.',
  })
  personaReviews(@Root() run: ReviewRun): Promise<PersonaReview[]> {
    return this.runs.personaReviews(run.id);
  }

  @FieldResolver(() => Decision, { nullable: true, description: 'Set once the run is COMPLETED.' })
  decision(@Root() run: ReviewRun): Promise<Decision | null> {
    return this.runs.decision(run.id);
  }

  @FieldResolver(() => ReviewDelta, {
    nullable: true,
    description: 'A completed revision compared with its parent.',
  })
  async delta(@Root() run: ReviewRun): Promise<ReviewDelta | null> {
    return (await this.runs.decision(run.id))?.delta ?? null;
  }
}
