import { IsOptional, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { RecoveryStatus } from '../failures/failure-match.entity.ts';

@InputType()
export class FailureGroupFilter {
  @Field(() => RecoveryStatus, { nullable: true })
  @IsOptional()
  status?: RecoveryStatus | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  service?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  errorCode?: string | null;
}
