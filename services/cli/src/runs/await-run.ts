import { CliError, EXIT } from '../exit-codes.ts';
import type { Progress, ProgressState } from '../output/progress.ts';

export type Outcome =
  /** Reached a terminal state (and, for a score, was verified as stored). */
  | 'settled'
  /** Terminal, but not settled within `settleMs` (a DONE score never verified). */
  | 'unsettled'
  /** Assay answered nothing for `stallMs`. */
  | 'stalled'
  /** Not terminal after `timeoutMs`. */
  | 'timeout';

export interface AwaitRunOptions<Run extends ProgressState> {
  /**
   * The run now. Null (the API answered without it, as a gateway does while it restarts and its
   * subgraphs are not all back) counts as no answer: waiting goes on, bounded by `stallMs`.
   */
  fetch(): Promise<Run | null>;
  /** Live progress; resolves when the server completes the stream. Its failures are covered by polling. */
  follow(onState: (state: ProgressState) => void, signal: AbortSignal, poll: () => void): Promise<void>;
  /** Every state read from the API (a review prints each persona as it lands). */
  onRun?(run: Run): void;
  isTerminal(status: string): boolean;
  isSettled(run: Run): boolean;
  progress: Progress;
  timeoutMs: number;
  stallMs: number;
  settleMs: number;
  /** Polls as a safety net under the subscription: events published while a socket was down are not replayed. */
  pollMs?: number;
}

/**
 * Follows a run to its end the way a CI step can trust: live events for the bar, and a poll every
 * second that decides. The answer is the last state read from the API, never one inferred from events.
 */
export async function awaitRun<Run extends ProgressState>(
  o: AwaitRunOptions<Run>,
): Promise<{ run: Run | null; outcome: Outcome }> {
  const abort = new AbortController();
  let wake: () => void = () => {};
  let refused: CliError | null = null;
  const following = o
    .follow(
      (state) => {
        o.progress.update(state);
        if (o.isTerminal(state.status)) wake();
      },
      abort.signal,
      () => wake(),
    )
    .catch((error: unknown) => {
      // Polling decides; a failed stream only loses the live bar, unless the socket was refused
      // for a reason the caller must fix (the API key): that ends the wait as a 401 would.
      if (error instanceof CliError && error.exitCode === EXIT.USAGE) {
        refused = error;
        wake();
      }
    });
  const startedAt = Date.now();
  let lastAnswerAt = startedAt;
  let terminalAt: number | null = null;
  let run: Run | null = null;
  try {
    for (;;) {
      if (refused) throw refused;
      const now = Date.now();
      try {
        const current = await o.fetch();
        if (!current) throw new Error('the run is missing from the answer');
        run = current;
        lastAnswerAt = Date.now();
        o.progress.update(run);
        o.onRun?.(run);
        if (o.isSettled(run)) return { run, outcome: 'settled' };
        if (o.isTerminal(run.status)) {
          terminalAt ??= now;
          if (now - terminalAt >= o.settleMs) return { run, outcome: 'unsettled' };
        }
      } catch (error) {
        if (error instanceof CliError && error.exitCode === EXIT.USAGE) throw error;
        if (Date.now() - lastAnswerAt >= o.stallMs) return { run, outcome: 'stalled' };
      }
      if (Date.now() - startedAt >= o.timeoutMs) return { run, outcome: 'timeout' };
      await new Promise<void>((resolve) => {
        // Ended but not settled (a score a moment from its read-back): look again soon.
        const timer = setTimeout(resolve, terminalAt !== null ? 50 : (o.pollMs ?? 1000));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    abort.abort();
    o.progress.finish();
    await following;
  }
}
