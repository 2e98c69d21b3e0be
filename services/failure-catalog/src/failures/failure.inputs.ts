import { IsOptional, MaxLength } from 'class-validator';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';
import { Severity } from '../catalog/catalog-entry.entity.ts';
import { MatchType, RecoveryStatus } from './failure-match.entity.ts';

/** Every field narrows; each is served by an index (see the Recovery migration). */
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

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(100)
  category?: string | null;

  @Field(() => Severity, { nullable: true })
  @IsOptional()
  severity?: Severity | null;

  @Field(() => MatchType, { nullable: true })
  @IsOptional()
  matchType?: MatchType | null;

  @Field(() => RecoveryStatus, { nullable: true })
  @IsOptional()
  recoveryStatus?: RecoveryStatus | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Recorded at or after.' })
  @IsOptional()
  since?: Date | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'Recorded before.' })
  @IsOptional()
  until?: Date | null;
}
