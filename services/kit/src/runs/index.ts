// The kit's run machinery: what a run service (scoring, review) builds its runs on.
export { type FollowRunOptions, followRun, type PublishedRunEvent, runEventOf } from './follow-run.ts';
export { createRunEngine, type RunEngine, type RunEngineOptions } from './run-engine.ts';
export type { RunEvent } from './run-events.ts';
export { isLive, isTerminal, liveStatuses, type RunKind } from './run-kind.ts';
export {
  type Claim,
  type ClaimStep,
  type FinalResult,
  type RunFailure,
  RunLifecycle,
} from './run-lifecycle.ts';
export { RunError, RunRecord } from './run-record.ts';
export { inRunTrace } from './run-trace.ts';
export type { Attempt, RunExecutor } from './run-worker.ts';
export { guardedUpdate, readRunState, type Transition, transitionWriteFor } from './transition.write.ts';
