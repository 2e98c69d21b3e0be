import { IsOptional, Length, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A proposal to review.' })
export class StartReviewInput {
  @Field(() => String)
  @Length(1, 20_000, { message: 'idea must be between 1 and 20000 characters' })
  idea!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100_000)
  extraContext?: string | null;

  @Field(() => String, { nullable: true, description: 'The same key always returns the same run.' })
  @IsOptional()
  @Length(1, 200)
  idempotencyKey?: string | null;
}
