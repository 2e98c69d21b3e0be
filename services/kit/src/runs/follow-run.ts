import { isUuid } from '../database/paginate.ts';
import { BadUserInputError } from '../errors.ts';
import { followLatest } from '../pubsub/follow.ts';
import type { PgPubSub } from '../pubsub/pg-pubsub.ts';
import { progressTopic, type RunEvent } from './run-events.ts';
import { isLive, type RunKind } from './run-kind.ts';

/** An event as it comes out of the pub/sub: JSON, so its date is a string. */
export type PublishedRunEvent = Omit<RunEvent, 'at'> & { at: string | Date };

export interface FollowRunOptions {
  pubSub: PgPubSub;
  kind: RunKind;
  runId: string;
  /** The stored run now, as an event (see `runEventOf`); null when there is none. */
  read(): Promise<RunEvent | null>;
  /** How long a live run may stay silent before its state is read again (see followLatest). */
  silenceMs?: number;
}

/**
 * A run's progress subscription: the run's current state at once (a late subscriber is not left
 * blank), then every newer transition and step any replica publishes, by the run's stored version;
 * a lost event is made good by reading the run again. Completes after a final status.
 */
export function followRun(options: FollowRunOptions): Promise<AsyncIterableIterator<PublishedRunEvent>> {
  const { kind, runId } = options;
  if (!isUuid(runId)) throw new BadUserInputError(`runId ${JSON.stringify(runId)} is not a UUID`);
  return followLatest<PublishedRunEvent>({
    pubSub: options.pubSub,
    topic: progressTopic(kind),
    id: runId,
    what: `${kind.service} run`,
    read: options.read,
    version: (event) => event.version,
    final: (event) => !isLive(kind, event.status),
    silenceMs: options.silenceMs,
  });
}

/** The lifecycle columns of a stored run as an event: what a subscriber sees first. */
export function runEventOf(run: {
  id: string;
  status: string;
  progressStep: string | null;
  progressPct: number;
  attempt: number;
  version: number;
  updatedAt: Date;
}): RunEvent {
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
