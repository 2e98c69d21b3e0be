import type { AssayContext, Logger, PgPubSub } from '@assay/kit';
import { Arg, Ctx, Resolver, Root, Subscription } from 'type-graphql';
import { FailureFilter } from './failure.inputs.ts';
import type { FailureService, RecordedFailure } from './failure.service.ts';
import { FailureMatch, RecoveryStatus } from './failure-match.entity.ts';

/** The topic of newly stored failures; events are routed by tenant. */
const TOPIC = 'failure_recorded';

/** Tells every replica's subscribers about failures just committed (never holds up the intake). */
export function publishRecorded(pubSub: PgPubSub, log: Logger, failures: RecordedFailure[]): void {
  for (const f of failures) {
    pubSub
      .publish(TOPIC, f.tenantId, { ...f, occurredAt: f.occurredAt.toISOString() })
      .catch((error) => log.warn({ err: error, failureId: f.id }, 'failureRecorded event not published'));
  }
}

type Published = Omit<RecordedFailure, 'occurredAt'> & { occurredAt: string };

function matches(filter: FailureFilter | null | undefined, f: Published): boolean {
  if (!filter) return true;
  const at = Date.parse(f.occurredAt);
  return (
    (!filter.runId || filter.runId === f.runId) &&
    (!filter.service || filter.service === f.service) &&
    (!filter.errorCode || filter.errorCode === f.errorCode) &&
    (!filter.category || filter.category === f.category) &&
    (!filter.severity || filter.severity === f.severity) &&
    (!filter.matchType || filter.matchType === f.matchType) &&
    (!filter.recoveryStatus || filter.recoveryStatus === RecoveryStatus.UNRECOVERED) &&
    (!filter.since || at >= filter.since.getTime()) &&
    (!filter.until || at < filter.until.getTime())
  );
}

/** Keeps the events a filter wants; ends the source when the client goes away. */
async function* filtered(source: AsyncIterableIterator<Published>, filter: FailureFilter | null) {
  try {
    for await (const event of source) if (matches(filter, event)) yield event;
  } finally {
    await source.return?.();
  }
}

/**
 * `failureRecorded(filter)`: every failure stored from now on that the filter matches (the on-call
 * console). A factory, because type-graphql hands `subscribe` no resolver instance.
 */
export function createFailureFeedResolver(deps: { pubSub: PgPubSub; failures: FailureService }): object {
  @Resolver()
  class FailureFeedResolver {
    @Subscription(() => FailureMatch, {
      description: 'Each failure stored from now on that matches the filter.',
      // The caller's tenant's topic: another tenant's failures are never delivered here.
      subscribe: async ({ args, context }) => {
        const source = deps.pubSub.subscribe<Published>(TOPIC, (context as AssayContext).caller.tenant);
        await deps.pubSub.listen(TOPIC);
        return filtered(source, (args.filter as FailureFilter | undefined) ?? null);
      },
    })
    async failureRecorded(
      @Arg('filter', () => FailureFilter, { nullable: true }) _filter: FailureFilter | null,
      @Root() event: Published,
      @Ctx() { caller }: AssayContext,
    ): Promise<FailureMatch> {
      return (await deps.failures.find(event.id, caller.tenant)) as FailureMatch;
    }
  }
  return new FailureFeedResolver();
}
