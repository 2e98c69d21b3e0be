import { randomUUID } from 'node:crypto';
import { RunRecord } from '@assay/kit/runs';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum RunStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SCORING = 'SCORING',
  DONE = 'DONE',
  ERROR = 'ERROR',
  CANCELLED = 'CANCELLED',
}
registerEnumType(RunStatus, { name: 'RunStatus' });

export enum ScorerKind {
  RULES = 'RULES',
  LLM = 'LLM',
}
registerEnumType(ScorerKind, { name: 'ScorerKind' });

export enum PersistenceState {
  PENDING = 'PENDING',
  VERIFIED = 'VERIFIED',
  SPOOLED = 'SPOOLED',
  DEAD_LETTERED = 'DEAD_LETTERED',
}
registerEnumType(PersistenceState, { name: 'PersistenceState' });

@ObjectType({ description: 'The pull request a run scores.' })
export class ScoringSubject {
  @Field(() => String, { description: '`owner/name`' })
  repository!: string;

  @Field(() => Int, { nullable: true })
  prNumber!: number | null;

  @Field(() => String, { nullable: true })
  title!: string | null;

  @Field(() => Int, { description: 'Size of the diff in bytes.' })
  diffBytes!: number;
}

export const LIVE_STATUSES = [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SCORING];

@Entity({ tableName: 'scoring_run' })
@Unique({ properties: ['tenantId', 'idempotencyKey'] })
@Index({ properties: ['tenantId', 'createdAt', 'id'] })
@ObjectType('ScoringRun', { description: 'One scoring of one pull-request diff.' })
@Directive('@key(fields: "id")')
export class ScoringRun extends RunRecord {
  /** Defaulted columns `em.create` need not be given. */
  [OptionalProps]?:
    | 'status'
    | 'progressPct'
    | 'attempt'
    | 'persistence'
    | 'createdAt'
    | 'updatedAt'
    | 'subject'
    | 'error'
    | 'version'
    | 'stepSeq';

  @PrimaryKey({ type: 'uuid' })
  @Field(() => ID)
  id: string = randomUUID();

  /** The caller's tenant: every read, list and subscription is scoped by it. */
  @Property({ type: 'text' })
  tenantId!: string;

  @Enum({ items: () => RunStatus, nativeEnumName: undefined })
  @Field(() => RunStatus)
  status: RunStatus = RunStatus.QUEUED;

  @Property({ type: 'text' })
  repository!: string;

  @Property({ type: 'integer', nullable: true })
  prNumber: number | null = null;

  @Property({ type: 'text', nullable: true })
  title: string | null = null;

  @Property({ type: 'text', lazy: true })
  diff!: string;

  @Property({ type: 'integer' })
  diffBytes!: number;

  @Enum({ items: () => ScorerKind })
  @Field(() => ScorerKind)
  scorer: ScorerKind = ScorerKind.RULES;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  idempotencyKey: string | null = null;

  @Enum({ items: () => PersistenceState })
  @Field(() => PersistenceState)
  persistence: PersistenceState = PersistenceState.PENDING;

  /** SHA-256 of what the client asked for (subject, scorer, key), checked after the insert. */
  @Property({ type: 'text', nullable: true })
  contentHash: string | null = null;

  @Field(() => ScoringSubject)
  get subject(): ScoringSubject {
    return {
      repository: this.repository,
      prNumber: this.prNumber,
      title: this.title,
      diffBytes: this.diffBytes,
    };
  }
}
