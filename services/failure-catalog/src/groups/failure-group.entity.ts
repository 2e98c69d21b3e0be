import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { RecoveryStatus } from '../failures/failure-match.entity.ts';

/**
 * Occurrences of one failure (Sentry-style): same service, code and normalised message, i.e. the
 * same fingerprint. A group marked RECOVERED or IGNORED that occurs again is REGRESSED.
 */
@Entity({ tableName: 'failure_group' })
@Unique({ properties: ['tenantId', 'fingerprint'] })
@Index({ properties: ['tenantId', 'createdAt', 'id'] })
@ObjectType('FailureGroup', { description: 'Every occurrence of one failure, grouped by its fingerprint.' })
@Directive('@key(fields: "id")')
export class FailureGroup {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  /** Whose it is: every read and write is scoped by it (the column's default is for old writers only). */
  @Property({ type: 'text', default: 'default' })
  tenantId!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  fingerprint!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  service!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  errorCode!: string;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'The message of its first occurrence.' })
  sampleMessage: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  catalogEntryId: string | null = null;

  @Property({ type: 'integer' })
  @Field(() => Int)
  count = 0;

  /** When the group was first seen (the pagination key). */
  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime, { name: 'firstSeen' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  lastSeen: Date = new Date();

  @Enum({ items: () => RecoveryStatus })
  @Field(() => RecoveryStatus)
  status: RecoveryStatus = RecoveryStatus.UNRECOVERED;

  /** The occurrence that made it REGRESSED. */
  @Property({ type: 'uuid', nullable: true })
  regressedById: string | null = null;
}
