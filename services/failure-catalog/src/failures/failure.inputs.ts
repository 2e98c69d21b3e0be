import { IsOptional, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { RecoveryStatus } from './failure-match.entity.ts';

@InputType()
export class FailureFilter {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  runId?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  service?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  errorCode?: string | null;

  @Field(() => RecoveryStatus, { nullable: true })
  @IsOptional()
  recoveryStatus?: RecoveryStatus | null;
}
