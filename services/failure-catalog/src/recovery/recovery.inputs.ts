import { IsOptional, MaxLength, MinLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { RecoveryStatus } from '../failures/failure-match.entity.ts';

@InputType({ description: 'A recovery decision: RECOVERED, IGNORED, or back to UNRECOVERED.' })
export class RecoveryUpdateInput {
  @Field(() => RecoveryStatus)
  status!: RecoveryStatus;

  @Field(() => String, { nullable: true, description: 'Why; kept in the recovery history.' })
  @IsOptional()
  @MaxLength(2000)
  note?: string | null;

  @Field(() => String, { nullable: true, description: 'Who decided; `anonymous` when not given.' })
  @IsOptional()
  @MinLength(1)
  @MaxLength(200)
  by?: string | null;
}
