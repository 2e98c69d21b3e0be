import { randomUUID } from 'node:crypto';
import { OptionalProps } from '@mikro-orm/core';
import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
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

@ObjectType({ description: 'Why a run ended in ERROR.' })
export class RunError {
  @Field(() => String, { description: 'Stable code, e.g. HEARTBEAT_TIMEOUT, LLM_REQUEST_FAILED.' })
  code!: string;

  @Field(() => String)
  message!: string;

  @Field(() => Boolean, { description: 'Whether starting the run again could succeed.' })
  retryable!: boolean;

  @Field(() => String, { nullable: true, description: 'The run trace, to find the failure in Grafana.' })
  traceId!: string | null;
}

export const LIVE_STATUSES = [RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SCORING];

@Entity({ tableName: 'scoring_run' })
@Unique({ properties: ['tenantId', 'idempotencyKey'] })
@Index({ properties: ['tenantId', 'createdAt', 'id'] })
@ObjectType('ScoringRun', { description: 'One scoring of one pull-request diff.' })
@Directive('@key(fields: "id")')
export class ScoringRun {
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

  @Property({ type: 'text', default: 'default' })
  tenantId = 'default';

  @Enum({ items: () => RunStatus, nativeEnumName: undefined })
  @Field(() => RunStatus)
  status: RunStatus = RunStatus.QUEUED;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  progressStep: string | null = null;

  @Property({ type: 'smallint' })
  @Field(() => Int)
  progressPct = 0;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Execution attempt; a watchdog re-queue increments it.' })
  attempt = 0;

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

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true, description: 'W3C trace id of the run: one trace end to end.' })
  traceId: string | null = null;

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  startedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => GraphQLDateTime, { nullable: true })
  finishedAt: Date | null = null;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  @Field(() => GraphQLDateTime)
  updatedAt: Date = new Date();

  /** SHA-256 of what the client asked for (subject, scorer, key), checked after the insert. */
  @Property({ type: 'text', nullable: true })
  contentHash: string | null = null;

  /** The last sign of life: creation, a transition or a progress step. */
  @Property({ type: 'timestamptz', nullable: true })
  heartbeatAt: Date | null = null;

  /** Transitions applied so far: events carry it, so subscribers order them without clocks. */
  @Property({ type: 'integer' })
  version = 0;

  /** The claim of the worker executing the run, if one is. */
  @Property({ type: 'uuid', nullable: true })
  lease: string | null = null;

  /** The last step number of that claim. */
  @Property({ type: 'integer' })
  stepSeq = 0;

  /** The key of the last applied transition, which its read-back checks. */
  @Property({ type: 'text', nullable: true })
  transitionKey: string | null = null;

  @Property({ type: 'text', nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'text', nullable: true })
  errorMessage: string | null = null;

  @Property({ type: 'boolean', nullable: true })
  errorRetryable: boolean | null = null;

  @Field(() => RunError, { nullable: true })
  get error(): RunError | null {
    if (!this.errorCode) return null;
    return {
      code: this.errorCode,
      message: this.errorMessage ?? '',
      retryable: this.errorRetryable ?? false,
      traceId: this.traceId,
    };
  }

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
