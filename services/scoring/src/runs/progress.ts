import type { PgPubSub } from '@assay/kit';
import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { RunStatus, type ScoringRun } from './run.entity.ts';

/** The pub/sub topic of run progress: one NOTIFY channel for all runs, routed by run id. */
export const SCORING_PROGRESS = 'scoring_progress';

/** A transition or progress step of a run, as published. */
export interface ScoringProgressEvent {
  runId: string;
  status: RunStatus;
  progressStep: string | null;
  progressPct: number;
  attempt: number;
  at: Date;
}

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

/** Sends an event to this run's subscribers on every replica (rejects when it could not be sent). */
export function publishProgress(pubSub: PgPubSub, event: ScoringProgressEvent): Promise<void> {
  return pubSub.publish(SCORING_PROGRESS, event.runId, event);
}

/** The stored state of a run as an event: what a subscriber sees first. */
export function progressOf(run: ScoringRun): ScoringProgressEvent {
  return {
    runId: run.id,
    status: run.status,
    progressStep: run.progressStep,
    progressPct: run.progressPct,
    attempt: run.attempt,
    at: run.updatedAt,
  };
}
