import type { AssayContext, PgPubSub } from '@assay/kit';
import { followRun, type PublishedRunEvent, runEventOf } from '@assay/kit/runs';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { REVIEW_RUNS } from '../lifecycle/review-runs.ts';
import { ReviewProgress } from './progress.ts';
import type { ReviewRun, ReviewStatus } from './review-run.entity.ts';

export interface ProgressResolverDeps {
  pubSub: PgPubSub;
  runs: { find(id: string, tenantId: string): Promise<ReviewRun | null> };
}

/**
 * `reviewRunProgress(runId)`: the run now, then the proposal expanded, each persona started,
 * finished or failed, and the end (see the kit's followRun). A factory, because type-graphql hands
 * a `subscribe` function no resolver instance.
 */
export function createProgressResolver(deps: ProgressResolverDeps): object {
  @Resolver()
  class ProgressResolver {
    @Subscription(() => ReviewProgress, {
      description: 'The run now, then each step; completes after COMPLETED, FAILED or CANCELLED.',
      // The run is read in the caller's tenant: another tenant's run is NOT_FOUND, as an unknown one.
      subscribe: ({ args, context }) =>
        followRun({
          pubSub: deps.pubSub,
          kind: REVIEW_RUNS,
          runId: String(args.runId),
          read: async () => {
            const run = await deps.runs.find(String(args.runId), (context as AssayContext).caller.tenant);
            return run ? runEventOf(run) : null;
          },
        }),
    })
    reviewRunProgress(
      @Arg('runId', () => ID) _runId: string,
      @Root() event: PublishedRunEvent,
    ): ReviewProgress {
      return {
        ...event,
        status: event.status as ReviewStatus,
        event: typeof event.detail?.event === 'string' ? event.detail.event : null,
        personaId: typeof event.detail?.personaId === 'string' ? event.detail.personaId : null,
        at: new Date(event.at),
      };
    }
  }
  return new ProgressResolver();
}
