/**
 * What the kit's run machinery needs to know of one service's runs. The table carries the lifecycle
 * columns of `RunRecord` (status, attempt, progress, heartbeat, claim, version, error); the names
 * here are constants of the service, never input, and are inlined into SQL.
 */
export interface RunKind {
  /** `scoring`, `review`: names the metrics, pub/sub topics, write definitions and locks. */
  service: string;
  /** The schema-qualified table, e.g. `"scoring"."scoring_run"`. */
  table: string;
  statuses: {
    queued: string;
    /** Entered when a worker claims the run. */
    claimed: string;
    /** Entered by progress steps (the same as `claimed` when the service has no separate phase). */
    working: string;
    done: string;
    failed: string;
    cancelled: string;
  };
  /**
   * The service's failure outbox (`failureOutboxSql`): a run's failures are written there in the
   * transaction of the transition they explain, for the failure catalog to take.
   */
  outbox: string;
  /** The pg-boss queue of the service's run attempts, and the schema pg-boss keeps its tables in. */
  queue: { name: string; schema: string };
}

/** The statuses of a live run, in order. */
export function liveStatuses(kind: RunKind): string[] {
  const { queued, claimed, working } = kind.statuses;
  return [...new Set([queued, claimed, working])];
}

/** The statuses a worker holds a run in. */
export function claimedStatuses(kind: RunKind): string[] {
  return [...new Set([kind.statuses.claimed, kind.statuses.working])];
}

export function isLive(kind: RunKind, status: string): boolean {
  return liveStatuses(kind).includes(status);
}

export function isTerminal(kind: RunKind, status: string): boolean {
  const { done, failed, cancelled } = kind.statuses;
  return status === done || status === failed || status === cancelled;
}
