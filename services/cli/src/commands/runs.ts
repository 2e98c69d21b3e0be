import { follow } from '../client/follow.ts';
import { AssayClient } from '../client/graphql-client.ts';
import type { CliConfig } from '../config.ts';
import { CliError, EXIT, type ExitCode } from '../exit-codes.ts';
import {
  CancelReviewDocument,
  CancelScoringRunDocument,
  type FailureFieldsFragment,
  ReviewRunDetailDocument,
  ReviewRunDocument,
  ReviewRunProgressDocument,
  ReviewRunsDocument,
  type ReviewStatus,
  RunKindDocument,
  type RunStatus,
  ScoringRunDetailDocument,
  ScoringRunsDocument,
} from '../generated/graphql.ts';
import { out, printJson, table } from '../output/print.ts';
import { createProgress } from '../output/progress.ts';
import { awaitRun } from '../runs/await-run.ts';
import { awaitScoringRun } from '../runs/scoring-run.ts';
import { REVIEW_TERMINAL } from './review.ts';

type Kind = 'scoring' | 'review';

/** Which service holds the run: one request asks both; NOT_FOUND is a usage error (exit 4). */
async function kindOf(client: AssayClient, id: string): Promise<Kind> {
  const found = await client.request(RunKindDocument, { id });
  if (found.scoringRun) return 'scoring';
  if (found.reviewRun) return 'review';
  throw new CliError(`no scoring or review run ${id}`, EXIT.USAGE);
}

export async function list(
  options: { kind: 'scoring' | 'review' | 'all'; status?: string; first: number },
  config: CliConfig,
): Promise<ExitCode> {
  const client = new AssayClient(config);
  const status = options.status?.toUpperCase();
  const [scoring, review] = await Promise.all([
    options.kind === 'review'
      ? null
      : client.request(ScoringRunsDocument, {
          first: options.first,
          filter: status ? { status: [status as RunStatus] } : undefined,
        }),
    options.kind === 'scoring'
      ? null
      : client.request(ReviewRunsDocument, {
          first: options.first,
          filter: status ? { status: [status as ReviewStatus] } : undefined,
        }),
  ]);
  const scoringRuns = scoring?.scoringRuns.nodes ?? [];
  const reviewRuns = review?.reviewRuns.nodes ?? [];
  if (config.json) {
    printJson({ scoringRuns, reviewRuns });
    return EXIT.OK;
  }
  const rows = [
    ...scoringRuns.map((r) => [
      r.createdAt,
      'scoring',
      r.id,
      r.status,
      `${r.progressPct}%`,
      `${r.subject.repository}${r.subject.prNumber ? `#${r.subject.prNumber}` : ''}`,
      r.score ? `${r.score.value} ${r.score.band}` : null,
      r.persistence,
    ]),
    ...reviewRuns.map((r) => [
      r.createdAt,
      'review',
      r.id,
      r.status,
      `${r.progressPct}%`,
      r.runType,
      r.decisionLabel,
      null,
    ]),
  ].sort((a, b) => String(b[0]).localeCompare(String(a[0])));
  out(table(['created', 'kind', 'id', 'status', 'progress', 'subject', 'result', 'persistence'], rows));
  return EXIT.OK;
}

/** The debug view: every field, the attempts and failures in order, the trace id to open in Grafana. */
export async function show(id: string, config: CliConfig): Promise<ExitCode> {
  const client = new AssayClient(config);
  const kind = await kindOf(client, id);
  const run =
    kind === 'scoring'
      ? (await client.request(ScoringRunDetailDocument, { id })).scoringRun!
      : (await client.request(ReviewRunDetailDocument, { id })).reviewRun!;
  if (config.json) {
    printJson({ kind, run });
    return EXIT.OK;
  }
  const { failures, ...fields } = run as typeof run & { failures: FailureFieldsFragment[] };
  out(`${kind} run ${run.id}`);
  printFields(fields, '  ');
  out(
    `re-queued by the watchdog: ${run.attempt} times; ${failures.length ? `failures (${failures.length}), oldest first:` : 'no failures'}`,
  );
  for (const f of [...failures].reverse()) {
    out(`  ${f.createdAt}  ${f.errorCode}  ${f.stage ?? '-'}  ${f.recoveryStatus}  ${f.errorMessage ?? ''}`);
    if (f.recoverySuggestion) out(`      suggestion: ${f.recoverySuggestion}`);
  }
  if (run.traceId) out(`trace: ${run.traceId}  (Grafana → Explore → Tempo, or search logs for trace_id)`);
  return EXIT.OK;
}

function printFields(value: object, indent: string): void {
  for (const [key, v] of Object.entries(value)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      out(`${indent}${key}:`);
      printFields(v, `${indent}  `);
    } else if (Array.isArray(v)) {
      out(`${indent}${key}: ${v.length === 0 ? '[]' : ''}`);
      for (const item of v) out(`${indent}  - ${typeof item === 'object' ? JSON.stringify(item) : item}`);
    } else {
      out(`${indent}${key}: ${v ?? '-'}`);
    }
  }
}

/** Follows a run to its end; the exit code is 0 for DONE or COMPLETED, 2 for ERROR, FAILED or CANCELLED. */
export async function watch(id: string, options: { timeout: number }, config: CliConfig): Promise<ExitCode> {
  const client = new AssayClient(config);
  const kind = await kindOf(client, id);
  const progress = createProgress(process.stderr, { quiet: config.json });
  const onReconnect = () => progress.note('reconnected; following the run again');
  const timeoutMs = options.timeout * 1000;
  const { run, outcome } =
    kind === 'scoring'
      ? await awaitScoringRun(client, id, progress, { timeoutMs, persistTimeoutMs: timeoutMs }, onReconnect)
      : await awaitRun({
          fetch: async () => (await client.request(ReviewRunDocument, { id })).reviewRun,
          follow: (onState, signal) =>
            follow(
              client.credentials,
              ReviewRunProgressDocument,
              { runId: id },
              (d) => onState(d.reviewRunProgress),
              {
                signal,
                onReconnect,
              },
            ),
          isTerminal: (s) => REVIEW_TERMINAL.has(s),
          isSettled: (r) => REVIEW_TERMINAL.has(r.status),
          progress,
          timeoutMs,
          stallMs: timeoutMs,
          settleMs: 0,
        });
  const status = run?.status ?? 'UNKNOWN';
  const code =
    outcome === 'settled' && (status === 'DONE' || status === 'COMPLETED')
      ? EXIT.OK
      : outcome === 'settled'
        ? EXIT.RUN_FAILED
        : EXIT.UNREACHABLE;
  if (config.json) printJson({ kind, outcome, exitCode: code, run });
  else out(`${kind} run ${id}: ${status}${outcome === 'settled' ? '' : ` (${outcome})`}`);
  return code;
}

export async function cancel(id: string, config: CliConfig): Promise<ExitCode> {
  const client = new AssayClient(config);
  const kind = await kindOf(client, id);
  const run =
    kind === 'scoring'
      ? (await client.request(CancelScoringRunDocument, { id })).cancelScoringRun
      : (await client.request(CancelReviewDocument, { runId: id })).cancelReview;
  if (config.json) printJson({ kind, run });
  else out(`${kind} run ${run.id}: ${run.status}`);
  return EXIT.OK;
}
