import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { ReviewStatus } from './review-run.entity.ts';

@ObjectType({ description: 'A review run as it was at one moment: after a transition or a step.' })
export class ReviewProgress {
  @Field(() => ID)
  runId!: string;

  @Field(() => ReviewStatus)
  status!: ReviewStatus;

  @Field(() => String, { nullable: true })
  progressStep!: string | null;

  @Field(() => Int)
  progressPct!: number;

  @Field(() => Int)
  attempt!: number;

  @Field(() => String, {
    nullable: true,
    description: 'EXPANDED, PERSONA_STARTED, PERSONA_FINISHED or PERSONA_FAILED; null for transitions.',
  })
  event!: string | null;

  @Field(() => String, { nullable: true, description: 'The persona a PERSONA_* event is about.' })
  personaId!: string | null;

  @Field(() => GraphQLDateTime)
  at!: Date;
}
