import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';
import { RecoveryStatus } from '../failures/failure-match.entity.ts';

/** One change of a failure's recovery status. Append-only: the table refuses updates and deletes. */
@Entity({ tableName: 'recovery_change' })
@Index({ properties: ['failureId', 'changedAt'] })
@ObjectType('RecoveryChange', { description: 'One change of a failure’s recovery status, oldest first.' })
export class RecoveryChange {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'text' })
  tenantId!: string;

  @Property({ type: 'uuid' })
  failureId!: string;

  @Enum({ items: () => RecoveryStatus })
  @Field(() => RecoveryStatus)
  fromStatus!: RecoveryStatus;

  @Enum({ items: () => RecoveryStatus })
  @Field(() => RecoveryStatus)
  toStatus!: RecoveryStatus;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  note: string | null = null;

  @Property({ type: 'text' })
  @Field(() => String, { description: 'Who changed it; `system` for an automatic recovery.' })
  changedBy!: string;

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  changedAt!: Date;
}
