import { follow } from '../client/follow.ts';
import type { AssayClient } from '../client/graphql-client.ts';
import {
  ScoringRunDocument,
  type ScoringRunFieldsFragment,
  ScoringRunProgressDocument,
} from '../generated/graphql.ts';
import type { Progress } from '../output/progress.ts';
import { awaitRun } from './await-run.ts';

export const SCORING_TERMINAL = new Set(['DONE', 'ERROR', 'CANCELLED']);

export interface WaitTimes {
  timeoutMs: number;
  /** How long a DONE score may stay unverified, and Assay unanswering, before giving up. */
  persistTimeoutMs: number;
}

/** Follows a scoring run until it ends and (when DONE) its score is verified as stored. */
export function awaitScoringRun(
  client: AssayClient,
  id: string,
  progress: Progress,
  times: WaitTimes,
  onReconnect?: () => void,
) {
  return awaitRun<ScoringRunFieldsFragment>({
    fetch: async () => (await client.request(ScoringRunDocument, { id })).scoringRun,
    follow: (onState, signal) =>
      follow(
        client.credentials,
        ScoringRunProgressDocument,
        { runId: id },
        (d) => onState(d.scoringRunProgress),
        {
          signal,
          onReconnect,
        },
      ),
    isTerminal: (status) => SCORING_TERMINAL.has(status),
    isSettled: (run) =>
      run.status !== 'DONE'
        ? SCORING_TERMINAL.has(run.status)
        : run.persistence === 'VERIFIED' && !!run.score?.verifiedAt,
    progress,
    timeoutMs: times.timeoutMs,
    stallMs: times.persistTimeoutMs,
    settleMs: times.persistTimeoutMs,
  });
}
