import { IsOptional, Length, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { ScorerKind } from './run.entity.ts';

@InputType({ description: 'The pull request to score.' })
export class ScoringSubjectInput {
  @Field(() => String, { description: '`owner/name`' })
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'repository must look like owner/name' })
  repository!: string;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(1, { message: 'prNumber must be a positive pull-request number' })
  prNumber?: number | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(500)
  title?: string | null;

  @Field(() => String, { description: 'Unified diff. Size limit: ASSAY_MAX_DIFF_BYTES.' })
  diff!: string;
}

@InputType()
export class StartScoringRunInput {
  @Field(() => ScoringSubjectInput)
  @ValidateNested()
  subject!: ScoringSubjectInput;

  @Field(() => ScorerKind, { defaultValue: ScorerKind.RULES })
  scorer: ScorerKind = ScorerKind.RULES;

  @Field(() => String, { nullable: true, description: 'The same key always returns the same run.' })
  @IsOptional()
  @Length(1, 200)
  idempotencyKey?: string | null;
}
