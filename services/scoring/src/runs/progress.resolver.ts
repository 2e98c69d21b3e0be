import { BadUserInputError, followLatest, isUuid, type PgPubSub } from '@assay/kit';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { progressOf, ScoringProgress } from './progress.ts';
import { LIVE_STATUSES, type ScoringRun } from './run.entity.ts';
import { RUN_PROGRESS } from './run-events.ts';
import type { RunEvent } from './run-lifecycle.ts';

/** An event as it comes out of the pub/sub: JSON, so its date is a string. */
type PublishedEvent = Omit<RunEvent, 'at'> & { at: string | Date };

export interface ProgressResolverDeps {
  pubSub: PgPubSub;
  runs: { find(id: string): Promise<ScoringRun | null> };
  /** How long a live run may stay silent before its state is read again (see followLatest). */
  silenceMs?: number;
}

async function follow(
  deps: ProgressResolverDeps,
  runId: string,
): Promise<AsyncIterableIterator<PublishedEvent>> {
  if (!isUuid(runId)) throw new BadUserInputError(`runId ${JSON.stringify(runId)} is not a UUID`);
  return followLatest<PublishedEvent>({
    pubSub: deps.pubSub,
    topic: RUN_PROGRESS,
    id: runId,
    what: 'scoring run',
    read: async () => {
      const run = await deps.runs.find(runId);
      return run ? progressOf(run) : null;
    },
    version: (event) => event.version,
    final: (event) => !LIVE_STATUSES.includes(event.status),
    silenceMs: deps.silenceMs,
  });
}

/**
 * `scoringRunProgress(runId)`: the run's current state at once (a late subscriber is not left
 * blank), then every newer transition and progress step any replica publishes, by the run's stored
 * version; a lost event is made good by reading the run again. A factory, because
 * type-graphql hands a `subscribe` function no resolver instance: the class closes over its deps.
 */
export function createProgressResolver(deps: ProgressResolverDeps): object {
  @Resolver()
  class ProgressResolver {
    @Subscription(() => ScoringProgress, {
      description:
        'The run now, then each transition and progress step; completes after DONE, ERROR or CANCELLED.',
      subscribe: ({ args }) => follow(deps, String(args.runId)),
    })
    scoringRunProgress(
      @Arg('runId', () => ID) _runId: string,
      @Root() event: PublishedEvent,
    ): ScoringProgress {
      return { ...event, at: new Date(event.at) };
    }
  }
  return new ProgressResolver();
}
