import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';

export enum DeadLetterStatus {
  PENDING = 'PENDING',
  RETRYING = 'RETRYING',
  RESOLVED = 'RESOLVED',
  IGNORED = 'IGNORED',
}

/**
 * A write that failed permanently, kept with its payload for replay or a person's decision.
 * Every service schema has this table (the kit's migration adds it).
 */
@Entity({ tableName: 'dead_letter' })
@Unique({ properties: ['write', 'idempotencyKey'] })
@Index({ properties: ['status', 'createdAt'] })
export class DeadLetter {
  [OptionalProps]?:
    | 'status'
    | 'retryCount'
    | 'createdAt'
    | 'updatedAt'
    | 'resolvedAt'
    | 'resolutionNote'
    | 'tenantId';

  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  tenantId = 'default';

  /** The registered write it belongs to, which knows how to replay it. */
  @Property({ type: 'text' })
  write!: string;

  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'jsonb' })
  payload!: unknown;

  @Property({ type: 'text' })
  errorClass!: string;

  @Property({ type: 'text' })
  errorCode!: string;

  @Property({ type: 'text' })
  errorMessage!: string;

  @Property({ type: 'integer' })
  retryCount = 0;

  @Enum({ items: () => DeadLetterStatus })
  status: DeadLetterStatus = DeadLetterStatus.PENDING;

  @Property({ type: 'text', nullable: true })
  resolutionNote: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt: Date | null = null;
}
