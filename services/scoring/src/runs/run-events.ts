import type { Logger, PgPubSub } from '@assay/kit';
import { RunStatus } from './run.entity.ts';
import type { RunEvent } from './run-lifecycle.ts';

/** Every event of every run, routed by run id: what `scoringRunProgress` subscribers read. */
export const RUN_PROGRESS = 'scoring_progress';
/**
 * The events that end an execution elsewhere (a cancel, a watchdog re-queue or failure), on a topic
 * of their own, so each replica's worker hears them without reading every progress step.
 */
export const RUN_STOPPED = 'scoring_run_stopped';
const STOPPING: readonly RunStatus[] = [RunStatus.CANCELLED, RunStatus.ERROR, RunStatus.QUEUED];

/**
 * Whether an event ends an execution of `attempt`: the run was cancelled or failed (by the watchdog,
 * say), or a newer attempt was queued. A job retry re-queues the same attempt and ends nothing.
 */
export function endsAttempt(event: RunEvent, attempt: number): boolean {
  return event.status === RunStatus.CANCELLED || event.status === RunStatus.ERROR || event.attempt > attempt;
}

/** Sends a run's event to every replica: its subscribers, and (if it stops an execution) every worker. */
export async function publishRunEvent(pubSub: PgPubSub, event: RunEvent): Promise<void> {
  await Promise.all([
    pubSub.publish(RUN_PROGRESS, event.runId, event),
    STOPPING.includes(event.status) ? pubSub.publish(RUN_STOPPED, event) : undefined,
  ]);
}

/**
 * Calls `onStop` with each stopping event any replica publishes, from when the returned promise
 * resolves until `close()`. Events arrive as JSON (`at` is a string): only ids, status and attempt
 * are meant to be read.
 */
export async function listenForStops(
  pubSub: PgPubSub,
  log: Logger,
  onStop: (event: RunEvent) => void,
): Promise<{ close(): Promise<void> }> {
  const events = pubSub.subscribe<RunEvent>(RUN_STOPPED);
  await pubSub.listen(RUN_STOPPED);
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
