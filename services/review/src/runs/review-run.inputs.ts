import { ArrayMaxSize, IsOptional, Length, MaxLength } from 'class-validator';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';
import { DecisionLabel, ReviewRunType, ReviewStatus } from './review-run.entity.ts';

/** Longest idea accepted, in characters (a long design document is context, not the idea). */
export const MAX_IDEA_CHARS = 20_000;

@InputType({ description: 'A proposal to review.' })
export class StartReviewInput {
  @Field(() => String)
  @Length(1, MAX_IDEA_CHARS, { message: `idea must be between 1 and ${MAX_IDEA_CHARS} characters` })
  idea!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100_000, { message: 'extraContext must be at most 100000 characters' })
  extraContext?: string | null;

  @Field(() => String, { nullable: true, description: 'The same key always returns the same run.' })
  @IsOptional()
  @Length(1, 200)
  idempotencyKey?: string | null;
}

@InputType({ description: 'A revision of a finished review: a new idea text, or notes on what changed.' })
export class ReviseReviewInput {
  @Field(() => String, { nullable: true, description: 'The revised idea; the parent’s when omitted.' })
  @IsOptional()
  @Length(1, MAX_IDEA_CHARS, { message: `idea must be between 1 and ${MAX_IDEA_CHARS} characters` })
  idea?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(20_000, { message: 'editNotes must be at most 20000 characters' })
  editNotes?: string | null;

  @Field(() => [String], {
    defaultValue: [],
    description: 'The parent’s blocking issues this revision addresses.',
  })
  @ArrayMaxSize(100)
  @MaxLength(2000, { each: true })
  addressedIssues!: string[];

  @Field(() => String, { nullable: true, description: 'The same key always returns the same run.' })
  @IsOptional()
  @Length(1, 200)
  idempotencyKey?: string | null;
}

@InputType()
export class ReviewRunFilter {
  @Field(() => [ReviewStatus], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(5)
  status?: ReviewStatus[] | null;

  @Field(() => DecisionLabel, { nullable: true })
  @IsOptional()
  decision?: DecisionLabel | null;

  @Field(() => ReviewRunType, { nullable: true })
  @IsOptional()
  runType?: ReviewRunType | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Runs created at or after this time.' })
  @IsOptional()
  since?: Date | null;
}
