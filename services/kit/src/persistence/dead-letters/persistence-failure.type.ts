import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from '../../graphql/pagination.ts';
import { DeadLetterStatus } from '../dead-letter.entity.ts';

registerEnumType(DeadLetterStatus, { name: 'DeadLetterStatus' });

/** What a person decides about a failure that is not to be replayed (or was fixed by hand). */
export enum DeadLetterResolution {
  RESOLVED = 'RESOLVED',
  IGNORED = 'IGNORED',
}
registerEnumType(DeadLetterResolution, { name: 'DeadLetterResolution' });

/** The GraphQL view of a `DeadLetter` row: resolvers return the entities themselves. */
@ObjectType('PersistenceFailure', {
  description: 'A write that failed permanently, kept with its payload for replay or a decision.',
})
export class PersistenceFailure {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The registered write that replays it.' })
  write!: string;

  @Field(() => String)
  idempotencyKey!: string;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'What the write was given, as JSON; may hold user content.',
  })
  payload!: unknown;

  @Field(() => String)
  errorClass!: string;

  @Field(() => String, { description: 'SQLSTATE or a short reason.' })
  errorCode!: string;

  @Field(() => String)
  errorMessage!: string;

  @Field(() => Int, { description: 'Failed attempts after the first, replays included.' })
  retryCount!: number;

  @Field(() => DeadLetterStatus)
  status!: DeadLetterStatus;

  @Field(() => String, { nullable: true })
  resolutionNote!: string | null;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;

  @Field(() => GraphQLDateTime, { nullable: true })
  resolvedAt!: Date | null;
}

export const PersistenceFailureConnection = ConnectionType(
  PersistenceFailure,
  'PersistenceFailureConnection',
);
