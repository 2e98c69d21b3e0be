import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { RunStatus } from './run.entity.ts';

@ObjectType({ description: 'A run as it was at one moment: after a transition or a progress step.' })
export class ScoringProgress {
  @Field(() => ID)
  runId!: string;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => String, { nullable: true })
  progressStep!: string | null;

  @Field(() => Int)
  progressPct!: number;

  @Field(() => Int)
  attempt!: number;

  @Field(() => GraphQLDateTime)
  at!: Date;
}
