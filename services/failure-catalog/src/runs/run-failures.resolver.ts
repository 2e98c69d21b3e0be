import type { AssayContext } from '@assay/kit';
import { Ctx, Directive, Field, FieldResolver, ID, ObjectType, Resolver, Root } from 'type-graphql';
import type { FailureService } from '../failures/failure.service.ts';
import { FailureMatch } from '../failures/failure-match.entity.ts';

/** Scoring's and review's runs, known here only by id, extended with their failures (the caller's tenant's). */
@ObjectType('ScoringRun')
@Directive('@key(fields: "id")')
export class ScoringRunRef {
  @Field(() => ID)
  id!: string;
}

@ObjectType('ReviewRun')
@Directive('@key(fields: "id")')
export class ReviewRunRef {
  @Field(() => ID)
  id!: string;
}

@Resolver(() => ScoringRunRef)
export class ScoringRunFailuresResolver {
  constructor(private readonly failureService: FailureService) {}

  @FieldResolver(() => [FailureMatch], { description: 'Failures recorded for this run, oldest first.' })
  failures(@Root() run: ScoringRunRef, @Ctx() { caller }: AssayContext): Promise<FailureMatch[]> {
    return this.failureService.forRun(run.id, caller.tenant);
  }
}

@Resolver(() => ReviewRunRef)
export class ReviewRunFailuresResolver {
  constructor(private readonly failureService: FailureService) {}

  @FieldResolver(() => [FailureMatch], { description: 'Failures recorded for this run, oldest first.' })
  failures(@Root() run: ReviewRunRef, @Ctx() { caller }: AssayContext): Promise<FailureMatch[]> {
    return this.failureService.forRun(run.id, caller.tenant);
  }
}
