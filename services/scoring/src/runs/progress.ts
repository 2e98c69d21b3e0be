import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { RunStatus, type ScoringRun } from './run.entity.ts';
import type { RunEvent } from './run-lifecycle.ts';

@ObjectType({ description: 'A run as it was at one moment: after a transition or a progress step.' })
export class ScoringProgress {
  @Field(() => ID)
  runId!: string;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => String, { nullable: true })
  progressStep!: string | null;

  @Field(() => Int)
  progressPct!: number;

  @Field(() => Int)
  attempt!: number;

  @Field(() => GraphQLDateTime)
  at!: Date;
}

/** The stored state of a run as an event: what a subscriber sees first. */
export function progressOf(run: ScoringRun): RunEvent {
  return {
    runId: run.id,
    status: run.status,
    progressStep: run.progressStep,
    progressPct: run.progressPct,
    attempt: run.attempt,
    version: run.version,
    at: run.updatedAt,
  };
}
