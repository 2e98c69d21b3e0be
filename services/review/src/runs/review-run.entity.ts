import { randomUUID } from 'node:crypto';
import { RunRecord } from '@assay/kit/runs';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Directive, Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { OFFLINE_MODEL } from '../reviewers/offline-reviewer.ts';

export enum ReviewStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(ReviewStatus, { name: 'ReviewStatus' });

export const LIVE_REVIEW_STATUSES = [ReviewStatus.QUEUED, ReviewStatus.RUNNING];

export enum ReviewRunType {
  INITIAL = 'INITIAL',
  REVISION = 'REVISION',
}
registerEnumType(ReviewRunType, { name: 'ReviewRunType' });

export enum DecisionLabel {
  APPROVE = 'APPROVE',
  REVISE = 'REVISE',
  REJECT = 'REJECT',
}
registerEnumType(DecisionLabel, { name: 'DecisionLabel' });

@Entity({ tableName: 'review_run' })
@Unique({ properties: ['tenantId', 'idempotencyKey'] })
@Index({ properties: ['tenantId', 'createdAt', 'id'] })
@ObjectType('ReviewRun', { description: 'A multi-persona review of one proposal.' })
@Directive('@key(fields: "id")')
export class ReviewRun extends RunRecord {
  /** Defaulted columns `em.create` need not be given. */
  [OptionalProps]?:
    | 'status'
    | 'runType'
    | 'model'
    | 'progressPct'
    | 'attempt'
    | 'createdAt'
    | 'updatedAt'
    | 'error'
    | 'version'
    | 'stepSeq';

  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  /** The caller's tenant: every read, list and subscription is scoped by it. */
  @Property({ type: 'text' })
  tenantId!: string;

  @Enum({ items: () => ReviewStatus })
  @Field(() => ReviewStatus)
  status: ReviewStatus = ReviewStatus.QUEUED;

  @Enum({ items: () => ReviewRunType })
  @Field(() => ReviewRunType)
  runType: ReviewRunType = ReviewRunType.INITIAL;

  @Property({ type: 'uuid', nullable: true })
  parentRunId: string | null = null;

  @Property({ type: 'text' })
  @Field(() => String)
  idea!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  extraContext: string | null = null;

  /** A revision's notes on what changed since its parent. */
  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  editNotes: string | null = null;

  /** A revision's claim of which of the parent's blocking issues it addresses. */
  @Property({ type: 'json', nullable: true })
  @Field(() => [String])
  addressedIssues: string[] = [];

  @Property({ type: 'text' })
  @Field(() => String, { description: `The model that reviews; "${OFFLINE_MODEL}" without an API key.` })
  model: string = OFFLINE_MODEL;

  @Property({ type: 'double', nullable: true })
  @Field(() => Float, { nullable: true })
  temperature: number | null = null;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'Version of the persona set that reviews it.' })
  personaSetVersion!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  idempotencyKey: string | null = null;

  /** SHA-256 of what the client asked for, checked after the insert. */
  @Property({ type: 'text', nullable: true })
  contentHash: string | null = null;

  /** The decision's label, copied onto the run for listing and filtering. */
  @Enum({ items: () => DecisionLabel, nullable: true })
  @Field(() => DecisionLabel, { nullable: true })
  decisionLabel: DecisionLabel | null = null;

  /** The decision's weighted confidence, copied onto the run for listing. */
  @Property({ type: 'double', nullable: true })
  @Field(() => Float, { nullable: true })
  overallConfidence: number | null = null;
}
