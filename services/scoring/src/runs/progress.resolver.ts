import type { AssayContext, PgPubSub } from '@assay/kit';
import { followRun, type PublishedRunEvent, runEventOf } from '@assay/kit/runs';
import { Arg, ID, Resolver, Root, Subscription } from 'type-graphql';
import { SCORING_RUNS } from '../lifecycle/scoring-runs.ts';
import { ScoringProgress } from './progress.ts';
import type { RunStatus, ScoringRun } from './run.entity.ts';

export interface ProgressResolverDeps {
  pubSub: PgPubSub;
  runs: { find(id: string, tenantId: string): Promise<ScoringRun | null> };
  /** How long a live run may stay silent before its state is read again (see followLatest). */
  silenceMs?: number;
}

/**
 * `scoringRunProgress(runId)`: the run now, then every newer transition and step (see the kit's
 * followRun). A factory, because type-graphql hands a `subscribe` function no resolver instance:
 * the class closes over its deps.
 */
export function createProgressResolver(deps: ProgressResolverDeps): object {
  @Resolver()
  class ProgressResolver {
    @Subscription(() => ScoringProgress, {
      description:
        'The run now, then each transition and progress step; completes after DONE, ERROR or CANCELLED.',
      // The run is read in the caller's tenant: another tenant's run is NOT_FOUND, as an unknown one.
      subscribe: ({ args, context }) =>
        followRun({
          pubSub: deps.pubSub,
          kind: SCORING_RUNS,
          runId: String(args.runId),
          read: async () => {
            const run = await deps.runs.find(String(args.runId), (context as AssayContext).caller.tenant);
            return run ? runEventOf(run) : null;
          },
          silenceMs: deps.silenceMs,
        }),
    })
    scoringRunProgress(
      @Arg('runId', () => ID) _runId: string,
      @Root() event: PublishedRunEvent,
    ): ScoringProgress {
      return { ...event, status: event.status as RunStatus, at: new Date(event.at) };
    }
  }
  return new ProgressResolver();
}
