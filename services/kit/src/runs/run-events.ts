import type { Logger } from '../logging/logger.ts';
import type { PgPubSub } from '../pubsub/pg-pubsub.ts';
import type { RunKind } from './run-kind.ts';

/** Every transition and progress step of a run, as subscribers see it. */
export interface RunEvent {
  runId: string;
  status: string;
  progressStep: string | null;
  progressPct: number;
  attempt: number;
  /** The run's stored version after this transition: events of one run are ordered by it. */
  version: number;
  at: Date;
  /** What the step was about, for subscribers (a persona finished, say); not stored with the run. */
  detail?: Record<string, string | number | boolean | null> | null;
}

/** Every event of every run of the service, routed by run id: what progress subscribers read. */
export const progressTopic = (kind: RunKind) => `${kind.service}_progress`;
/**
 * The events that end an execution elsewhere (a cancel, a watchdog re-queue or failure), on a topic
 * of their own, so each replica's worker hears them without reading every progress step.
 */
const stoppedTopic = (kind: RunKind) => `${kind.service}_run_stopped`;

/**
 * Whether an event ends an execution of `attempt`: the run was cancelled or failed (by the watchdog,
 * say), or a newer attempt was queued. A job retry re-queues the same attempt and ends nothing.
 */
export function endsAttempt(kind: RunKind, event: RunEvent, attempt: number): boolean {
  const { cancelled, failed } = kind.statuses;
  return event.status === cancelled || event.status === failed || event.attempt > attempt;
}

function stops(kind: RunKind, event: RunEvent): boolean {
  const { cancelled, failed, queued } = kind.statuses;
  return [cancelled, failed, queued].includes(event.status);
}

/** Sends a run's event to every replica: its subscribers, and (if it stops an execution) every worker. */
export async function publishRunEvent(pubSub: PgPubSub, kind: RunKind, event: RunEvent): Promise<void> {
  await Promise.all([
    pubSub.publish(progressTopic(kind), event.runId, event),
    stops(kind, event) ? pubSub.publish(stoppedTopic(kind), event) : undefined,
  ]);
}

/**
 * Calls `onStop` with each stopping event any replica publishes, from when the returned promise
 * resolves until `close()`. Events arrive as JSON (`at` is a string): only ids, status and attempt
 * are meant to be read.
 */
export async function listenForStops(
  pubSub: PgPubSub,
  kind: RunKind,
  log: Logger,
  onStop: (event: RunEvent) => void,
): Promise<{ close(): Promise<void> }> {
  const events = pubSub.subscribe<RunEvent>(stoppedTopic(kind));
  await pubSub.listen(stoppedTopic(kind));
  const reading = (async () => {
    for await (const event of events) {
      try {
        onStop(event);
      } catch (error) {
        log.warn({ err: error, runId: event.runId }, 'a stop event could not be handled');
      }
    }
  })();
  return {
    async close() {
      await events.return?.();
      await reading;
    },
  };
}
