import { ArrayMaxSize, IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { Severity } from './catalog-entry.entity.ts';

@InputType({ description: 'Creates the entry for `errorCode`, or replaces it.' })
export class CatalogEntryInput {
  @Field(() => String)
  @Matches(/^[A-Z][A-Z0-9_]{1,79}$/, { message: 'errorCode must be UPPER_SNAKE_CASE, 2 to 80 characters' })
  errorCode!: string;

  @Field(() => String)
  @Length(1, 200)
  title!: string;

  @Field(() => String)
  @Length(1, 80)
  category!: string;

  @Field(() => Severity, { defaultValue: Severity.MEDIUM })
  severity: Severity = Severity.MEDIUM;

  @Field(() => Boolean, { defaultValue: false })
  retryable = false;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(80)
  recoveryMode?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(2000)
  recoverySuggestion?: string | null;

  @Field(() => String, { nullable: true, description: 'Also match codes starting with this, e.g. `LLM_`.' })
  @IsOptional()
  @Matches(/^[A-Z][A-Z0-9_]{0,39}$/, { message: 'codePrefix must be UPPER_SNAKE_CASE' })
  codePrefix?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'A regular expression on the message; at most 200 characters.',
  })
  @IsOptional()
  @MaxLength(200)
  messagePattern?: string | null;

  @Field(() => [String], { defaultValue: [] })
  @ArrayMaxSize(20)
  @MaxLength(40, { each: true })
  keywords!: string[];
}
