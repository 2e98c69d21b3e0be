import { randomUUID } from 'node:crypto';
import { RunError } from '@assay/kit/runs';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, Float, Int, ObjectType } from 'type-graphql';

/** What a persona that failed after its retries shows as its verdict. */
export const FAILED_VERDICT = 'FAILED';

@Entity({ tableName: 'persona_review' })
@Unique({ properties: ['runId', 'personaId'] })
@ObjectType({ description: 'One persona’s review of a run’s proposal, stored the moment it lands.' })
export class PersonaReview {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  runId!: string;

  /** The run's tenant, stored with it. */
  @Property({ type: 'text' })
  tenantId!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  personaId!: string;

  @Property({ type: 'text' })
  @Field(() => String)
  personaName!: string;

  @Property({ type: 'double' })
  @Field(() => Float)
  weight!: number;

  @Property({ type: 'double' })
  @Field(() => Float, { description: '0–1; 0 for a persona that failed.' })
  confidence = 0;

  @Property({ type: 'text' })
  @Field(() => String, { description: `APPROVE, REVISE, REJECT, or ${FAILED_VERDICT}.` })
  verdict: string = FAILED_VERDICT;

  @Property({ type: 'text' })
  @Field(() => String)
  summary = '';

  @Property({ type: 'json' })
  @Field(() => [String])
  blockingIssues: string[] = [];

  @Property({ type: 'json' })
  @Field(() => [String])
  securityConcerns: string[] = [];

  @Property({ type: 'boolean' })
  @Field(() => Boolean, { description: 'Whether a security concern blocks approval.' })
  securityBlocking = false;

  @Property({ type: 'json' })
  @Field(() => [String])
  suggestions: string[] = [];

  /** Model, temperature, persona version and schema the review was asked with. */
  @Property({ type: 'json' })
  promptParameters: Record<string, unknown> = {};

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Model calls made for this review, retries included.' })
  attemptCount = 0;

  @Property({ type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true })
  latencyMs: number | null = null;

  @Property({ type: 'integer' })
  @Field(() => Int)
  inputTokens = 0;

  @Property({ type: 'integer' })
  @Field(() => Int)
  outputTokens = 0;

  @Property({ type: 'text' })
  @Field(() => String)
  model!: string;

  @Property({ type: 'text', nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'text', nullable: true })
  errorMessage: string | null = null;

  @Property({ type: 'boolean', nullable: true })
  errorRetryable: boolean | null = null;

  @Property({ type: 'text' })
  contentHash!: string;

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();

  @Field(() => RunError, { nullable: true, description: 'Why the persona failed, after its retries.' })
  get error(): RunError | null {
    if (!this.errorCode) return null;
    return {
      code: this.errorCode,
      message: this.errorMessage ?? '',
      retryable: this.errorRetryable ?? false,
      traceId: null,
    };
  }
}
