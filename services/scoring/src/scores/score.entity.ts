import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { CriterionScore as Criterion, Violation as Finding, ScoreBand } from '../scorers/scorer.ts';

@ObjectType({ description: 'One criterion of a score.' })
export class CriterionScore implements Criterion {
  @Field(() => String)
  criterion!: string;

  @Field(() => Float, { description: '0–10.' })
  score!: number;

  @Field(() => Float, { description: 'Share of the total; the weights of a score sum to 1.' })
  weight!: number;

  @Field(() => String)
  detail!: string;
}

@ObjectType({ description: 'A finding in the diff.' })
export class Violation implements Finding {
  @Field(() => String)
  file!: string;

  @Field(() => Int, { nullable: true, description: 'Line in the new file, when known.' })
  line!: number | null;

  @Field(() => String)
  rule!: string;

  @Field(() => String, { description: 'INFO, LOW, MEDIUM, HIGH or CRITICAL.' })
  severity!: Finding['severity'];

  @Field(() => String)
  message!: string;
}

/** A run's score: written once, with the hash of its content, and marked verified after read-back. */
@Entity({ tableName: 'score' })
@ObjectType({ description: 'The score of a run, as stored and verified.' })
export class Score {
  [OptionalProps]?: 'createdAt' | 'verifiedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', unique: true })
  runId!: string;

  /** The run's tenant, stored with the score. */
  @Property({ type: 'text' })
  tenantId!: string;

  @Property({ type: 'double' })
  @Field(() => Float, { description: '0–10, one decimal.' })
  value!: number;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'EXCELLENT ≥ 8.5, GOOD ≥ 7, FAIR ≥ 5, else POOR.' })
  band!: ScoreBand;

  @Property({ type: 'jsonb' })
  @Field(() => [CriterionScore])
  criteria!: CriterionScore[];

  @Property({ type: 'jsonb' })
  @Field(() => [Violation])
  violations!: Violation[];

  @Property({ type: 'text' })
  @Field(() => String)
  scorerVersion!: string;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'SHA-256 of the canonical JSON of the score, checked after commit.' })
  contentHash!: string;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => GraphQLDateTime, {
    nullable: true,
    description: 'When the stored score was read back and matched.',
  })
  verifiedAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** What a score's hash covers: everything a reader sees, nothing the database adds. */
export function scoreContent(
  runId: string,
  s: Pick<Score, 'value' | 'band' | 'criteria' | 'violations' | 'scorerVersion'>,
) {
  return {
    runId,
    value: s.value,
    band: s.band,
    criteria: s.criteria,
    violations: s.violations,
    scorerVersion: s.scorerVersion,
  };
}
