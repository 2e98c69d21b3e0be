import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, ObjectType } from 'type-graphql';
import { DecisionLabel } from '../runs/review-run.entity.ts';

@ObjectType({ description: 'How one persona’s confidence moved from the parent run to this revision.' })
export class PersonaConfidenceChange {
  @Field(() => String)
  personaId!: string;

  @Field(() => Float, { nullable: true })
  before!: number | null;

  @Field(() => Float, { nullable: true })
  after!: number | null;

  @Field(() => Float, { nullable: true })
  change!: number | null;
}

@ObjectType({ description: 'A revision compared with the run it revises.' })
export class ReviewDelta {
  @Field(() => Boolean)
  decisionChanged!: boolean;

  @Field(() => [String], {
    description: 'Blocking issues the revision addressed that no persona raises any more.',
  })
  resolvedIssues!: string[];

  @Field(() => [String], { description: 'Blocking issues raised now that the parent did not have.' })
  newIssues!: string[];

  @Field(() => [String], { description: 'The parent’s blocking issues still raised.' })
  openIssues!: string[];

  @Field(() => [PersonaConfidenceChange])
  confidenceChanges!: PersonaConfidenceChange[];
}

@Entity({ tableName: 'decision' })
@Unique({ properties: ['runId'] })
@ObjectType({ description: 'The panel’s weighted decision.' })
export class Decision {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  runId!: string;

  /** The run's tenant, stored with it. */
  @Property({ type: 'text' })
  tenantId!: string;

  @Enum({ items: () => DecisionLabel })
  @Field(() => DecisionLabel)
  label!: DecisionLabel;

  @Property({ type: 'double' })
  @Field(() => Float, { description: 'Weighted mean of the personas’ confidences, 0–1.' })
  overallWeightedConfidence!: number;

  @Property({ type: 'text' })
  @Field(() => String)
  rationale!: string;

  @Property({ type: 'json' })
  @Field(() => [String], { description: 'Personas whose own verdict differs from the decision, and why.' })
  dissent: string[] = [];

  @Property({ type: 'boolean' })
  @Field(() => Boolean, { description: 'Some personas failed; the quorum that succeeded decided.' })
  partial = false;

  @Property({ type: 'json' })
  @Field(() => [String])
  missingPersonas: string[] = [];

  /** For a revision: the comparison with its parent (ReviewRun.delta). */
  @Property({ type: 'json', nullable: true })
  delta: ReviewDelta | null = null;

  @Property({ type: 'text' })
  contentHash!: string;

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();
}
