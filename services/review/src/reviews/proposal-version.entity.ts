import { randomUUID } from 'node:crypto';
import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';

@Entity({ tableName: 'proposal_version' })
@Unique({ properties: ['runId'] })
@ObjectType({ description: 'The idea expanded into a structured proposal: one version per run.' })
export class ProposalVersion {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  runId!: string;

  /** The run's tenant, stored with it. */
  @Property({ type: 'text' })
  tenantId!: string;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: '1 for an initial review, the parent’s + 1 for a revision.' })
  version!: number;

  @Property({ type: 'json' })
  @Field(() => GraphQLJSON)
  proposal!: Record<string, unknown>;

  @Property({ type: 'json', nullable: true })
  @Field(() => GraphQLJSON, { nullable: true, description: 'Changes from the parent’s proposal.' })
  diff: Record<string, unknown> | null = null;

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  editNotes: string | null = null;

  @Property({ type: 'text' })
  @Field(() => String)
  personaSetVersion!: string;

  @Property({ type: 'text' })
  contentHash!: string;

  @Property({ type: 'timestamptz' })
  @Field(() => GraphQLDateTime)
  createdAt: Date = new Date();
}
