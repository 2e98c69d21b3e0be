import { BadUserInputError, isUuid, NotFoundError, type PgPubSub } from '@assay/kit';
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
}

/**
 * `current` first, then the live events newer than it, completing after a final status.
 * `return()` unsubscribes at once, even while waiting for an event (an async generator would wait).
 */
function startingWith(
  current: RunEvent,
  live: AsyncIterableIterator<PublishedEvent>,
): AsyncIterableIterator<PublishedEvent> {
  let first: PublishedEvent | undefined = current;
  let last: PublishedEvent | undefined;
  const done = async (): Promise<IteratorResult<PublishedEvent>> => {
    await live.return?.();
    return { value: undefined, done: true };
  };
  return {
    async next() {
      if (last && !LIVE_STATUSES.includes(last.status)) return done();
      if (first) {
        last = first;
        first = undefined;
        return { value: last, done: false };
      }
      for (;;) {
        const result = await live.next();
        if (result.done) return result;
        // Older events are already part of `current`, which was read after they were stored.
        if (new Date(result.value.at) > current.at) {
          last = result.value;
          return result;
        }
      }
    },
    return: done,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function follow(
  deps: ProgressResolverDeps,
  runId: string,
): Promise<AsyncIterableIterator<PublishedEvent>> {
  if (!isUuid(runId)) throw new BadUserInputError(`runId ${JSON.stringify(runId)} is not a UUID`);
  const live = deps.pubSub.subscribe<PublishedEvent>(RUN_PROGRESS, runId);
  try {
    // Listening before reading the run: whatever is published meanwhile waits in `live`.
    await deps.pubSub.listen(RUN_PROGRESS);
    const run = await deps.runs.find(runId);
    if (!run) throw new NotFoundError('scoring run', runId);
    return startingWith(progressOf(run), live);
  } catch (error) {
    await live.return?.();
    throw error;
  }
}

/**
 * `scoringRunProgress(runId)`: the run's current state at once (a late subscriber is not left
 * blank), then every transition and progress step any replica publishes. A factory, because
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
