import { Entity, Property } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Directive, Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Why a run failed.' })
@Directive('@shareable')
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

/**
 * The lifecycle columns every run table has, which the kit's run machinery (guarded transitions,
 * claims, heartbeats, the watchdog) reads and writes by these column names. A service's run entity
 * extends it and adds its id, tenant, `status` (its own enum) and domain columns.
 */
// Its GraphQL fields are inherited by the subclass's object type; no field returns it, so it is no
// type of the schema itself.
@Entity({ abstract: true })
@ObjectType()
export class RunRecord {
  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  progressStep: string | null = null;

  @Property({ type: 'smallint' })
  @Field(() => Int)
  progressPct = 0;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Execution attempt; a watchdog re-queue increments it.' })
  attempt = 0;

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
}
