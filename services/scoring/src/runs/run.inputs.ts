import { ArrayMaxSize, IsOptional, Length, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { RunStatus, ScorerKind } from './run.entity.ts';

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const REPOSITORY_MESSAGE = 'repository must look like owner/name';

@InputType({ description: 'The pull request to score.' })
export class ScoringSubjectInput {
  @Field(() => String, { description: '`owner/name`' })
  @MaxLength(200)
  @Matches(REPOSITORY, { message: REPOSITORY_MESSAGE })
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

@InputType({ description: 'Narrows `scoringRuns`; every field given must match.' })
export class ScoringRunFilter {
  @Field(() => [RunStatus], { nullable: true, description: 'Any of these statuses.' })
  @IsOptional()
  @ArrayMaxSize(6)
  status?: RunStatus[] | null;

  @Field(() => String, { nullable: true, description: '`owner/name`' })
  @IsOptional()
  @MaxLength(200)
  @Matches(REPOSITORY, { message: REPOSITORY_MESSAGE })
  repository?: string | null;

  @Field(() => ScorerKind, { nullable: true })
  @IsOptional()
  scorer?: ScorerKind | null;
}
