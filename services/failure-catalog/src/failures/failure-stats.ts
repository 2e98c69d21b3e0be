import { Field, Float, Int, ObjectType } from 'type-graphql';
import { FailureGroup } from '../groups/failure-group.entity.ts';

@ObjectType({ description: 'How often something occurred in the window.' })
export class FailureCount {
  @Field(() => String)
  key!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType()
export class FailureGroupCount {
  @Field(() => FailureGroup)
  group!: FailureGroup;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: 'Failures recorded in the last `sinceHours`.' })
export class FailureStats {
  @Field(() => Int)
  sinceHours!: number;

  @Field(() => Int)
  total!: number;

  @Field(() => Int, { description: 'Matched a catalog entry (any match type but NONE).' })
  matched!: number;

  @Field(() => Float, { description: 'matched ÷ total; 0 when there were none.' })
  matchRate!: number;

  @Field(() => Int)
  recovered!: number;

  @Field(() => Float, { description: 'recovered ÷ total; 0 when there were none.' })
  recoveryRate!: number;

  @Field(() => Float, { nullable: true, description: 'Mean seconds from a failure to its recovery.' })
  meanTimeToRecoverySeconds!: number | null;

  @Field(() => [FailureCount], { description: 'The five most frequent error codes.' })
  topCodes!: FailureCount[];

  @Field(() => [FailureCount], { description: 'The five most frequent categories (uncatalogued included).' })
  topCategories!: FailureCount[];

  @Field(() => [FailureGroupCount], { description: 'The five groups that occurred most.' })
  topGroups!: FailureGroupCount[];
}
