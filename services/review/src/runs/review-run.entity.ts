import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ReviewStatus {
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  FAILED = 'FAILED',
}
registerEnumType(ReviewStatus, { name: 'ReviewStatus' });

export enum ReviewRunType {
  INITIAL = 'INITIAL',
  REVISION = 'REVISION',
}
registerEnumType(ReviewRunType, { name: 'ReviewRunType' });

/** Without OPENAI_API_KEY the reviewer is an offline heuristic, and every result says so. */
export const OFFLINE_MODEL = 'offline-heuristic';

@Entity({ tableName: 'review_run' })
@Unique({ properties: ['tenantId', 'idempotencyKey'] })
@Index({ properties: ['tenantId', 'createdAt', 'id'] })
@ObjectType('ReviewRun', { description: 'A multi-persona review of one proposal.' })
@Directive('@key(fields: "id")')
export class ReviewRun {
  /** Defaulted columns `em.create` need not be given. */
  [OptionalProps]?: 'status' | 'runType' | 'model' | 'progressPct' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  @Property({ type: 'text', default: 'default' })
  tenantId = 'default';

  @Enum({ items: () => ReviewStatus })
  @Field(() => ReviewStatus)
  status: ReviewStatus = ReviewStatus.RUNNING;

  @Enum({ items: () => ReviewRunType })
  @Field(() => ReviewRunType)
  runType: ReviewRunType = ReviewRunType.INITIAL;

  @Property({ type: 'uuid', nullable: true })
  parentRunId: string | null = null;

  @Property({ type: 'text' })
  @Field(() => String)
  idea!: string;

  @Property({ type: 'text', nullable: true })
  extraContext: string | null = null;

  @Property({ type: 'text' })
  @Field(() => String, { description: `The model that reviewed; "${OFFLINE_MODEL}" without an API key.` })
  model: string = OFFLINE_MODEL;

  @Property({ type: 'smallint' })
  @Field(() => Int)
  progressPct = 0;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  idempotencyKey: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  traceId: string | null = null;

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
