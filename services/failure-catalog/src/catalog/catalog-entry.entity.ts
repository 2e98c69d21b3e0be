import { randomUUID } from 'node:crypto';
import { Entity, Enum, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';

export enum Severity {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
  CRITICAL = 'CRITICAL',
}
registerEnumType(Severity, { name: 'Severity' });

@Entity({ tableName: 'catalog_entry' })
@Unique({ properties: ['tenantId', 'errorCode'] })
@ObjectType('CatalogEntry', { description: 'A known failure and how to recover from it.' })
export class CatalogEntry {
  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  /** Whose entry it is: a tenant's, or `*` for the shipped catalog every tenant shares. */
  @Property({ type: 'text', default: 'default' })
  tenantId!: string;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'The error code this entry describes, e.g. DB_CONNECTION_LOST.' })
  errorCode!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  title!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  category!: string;

  @Enum({ items: () => Severity })
  @Field(() => Severity)
  severity: Severity = Severity.MEDIUM;

  @Property({ type: 'boolean' })
  @Field(() => Boolean)
  retryable = false;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  recoveryMode: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  recoverySuggestion: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, {
    nullable: true,
    description: 'A code family this entry also matches (PREFIX), e.g. `LLM_`.',
  })
  codePrefix: string | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'A regular expression on the message (PATTERN).' })
  messagePattern: string | null = null;

  @Property({ type: 'json' })
  @Field(() => [String], { description: 'Words of the message that point at this entry (KEYWORD).' })
  keywords: string[] = [];

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();
}
