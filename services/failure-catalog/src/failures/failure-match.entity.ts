import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { Directive, Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Severity } from '../catalog/catalog-entry.entity.ts';

export enum MatchType {
  EXACT = 'EXACT',
  PREFIX = 'PREFIX',
  PATTERN = 'PATTERN',
  KEYWORD = 'KEYWORD',
  NONE = 'NONE',
}
registerEnumType(MatchType, { name: 'MatchType' });

export enum RecoveryStatus {
  UNRECOVERED = 'UNRECOVERED',
  RECOVERED = 'RECOVERED',
  IGNORED = 'IGNORED',
  REGRESSED = 'REGRESSED',
}
registerEnumType(RecoveryStatus, { name: 'RecoveryStatus' });

@Entity({ tableName: 'failure_match' })
@Index({ properties: ['tenantId', 'runId'] })
@Index({ properties: ['tenantId', 'createdAt', 'id'] })
@ObjectType('FailureMatch', { description: 'One failure, matched against the catalog of known failures.' })
@Directive('@key(fields: "id")')
export class FailureMatch {
  /** Defaulted columns `em.create` need not be given. */
  [OptionalProps]?: 'recoveryStatus' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  /** Whose it is: every read and write is scoped by it (the column's default is for old writers only). */
  @Property({ type: 'text', default: 'default' })
  tenantId!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  runId: string | null = null;

  @Property({ type: 'text' })
  @Field(() => String)
  service!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  errorCode!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  errorMessage: string | null = null;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'Same service, code and normalised message: same fingerprint.' })
  fingerprint!: string;

  /** Its FailureGroup (by fingerprint). */
  @Property({ type: 'uuid', nullable: true })
  groupId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  catalogEntryId: string | null = null;

  @Enum({ items: () => MatchType })
  @Field(() => MatchType)
  matchType: MatchType = MatchType.NONE;

  @Property({ type: 'double' })
  @Field(() => Float)
  matchConfidence = 0;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  category: string | null = null;

  @Enum({ items: () => Severity, nullable: true })
  @Field(() => Severity, { nullable: true })
  severity: Severity | null = null;

  @Property({ type: 'boolean' })
  @Field(() => Boolean)
  retryable = false;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  recoveryMode: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  recoverySuggestion: string | null = null;

  @Enum({ items: () => RecoveryStatus })
  @Field(() => RecoveryStatus)
  recoveryStatus: RecoveryStatus = RecoveryStatus.UNRECOVERED;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  recoveredAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  recoveredBy: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  recoveryNotes: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  stage: string | null = null;

  @Property({ type: 'jsonb', nullable: true })
  @Field(() => GraphQLJSON, { nullable: true })
  context: Record<string, unknown> | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  traceId: string | null = null;

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();
}
