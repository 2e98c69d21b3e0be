import { readFileSync } from 'node:fs';
import { follow } from '../client/follow.ts';
import { AssayClient } from '../client/graphql-client.ts';
import type { CliConfig } from '../config.ts';
import { EXIT, type ExitCode, UsageError } from '../exit-codes.ts';
import {
  ReviewRunDocument,
  type ReviewRunFieldsFragment,
  ReviewRunProgressDocument,
  ReviseReviewDocument,
  StartReviewDocument,
} from '../generated/graphql.ts';
import { err, out, printJson } from '../output/print.ts';
import { createProgress } from '../output/progress.ts';
import { awaitRun } from '../runs/await-run.ts';

export const REVIEW_TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

export interface ReviewOptions {
  ideaFile?: string;
  contextFile?: string;
  revise?: string;
  editNotes?: string;
  idempotencyKey?: string;
  timeout: number;
}

/** Exit code by decision: APPROVE 0, REVISE 1, REJECT 6; a FAILED or CANCELLED run 2. */
export function decisionExit(run: Pick<ReviewRunFieldsFragment, 'status' | 'decision'>): ExitCode {
  if (run.status !== 'COMPLETED' || !run.decision) return EXIT.RUN_FAILED;
  return run.decision.label === 'APPROVE'
    ? EXIT.OK
    : run.decision.label === 'REVISE'
      ? EXIT.BELOW_THRESHOLD
      : EXIT.REJECTED;
}

/** `assay review`: queues a review (or a revision), prints each persona as it lands, then the decision. */
export async function review(options: ReviewOptions, config: CliConfig): Promise<ExitCode> {
  const idea = options.ideaFile !== undefined ? readText(options.ideaFile, '--idea-file') : undefined;
  const extraContext =
    options.contextFile !== undefined ? readText(options.contextFile, '--context-file') : undefined;
  if (!options.revise && idea === undefined)
    throw new UsageError('--idea-file is required (or --revise RUN_ID)');
  const client = new AssayClient(config);
  const started = options.revise
    ? (
        await client.request(ReviseReviewDocument, {
          runId: options.revise,
          input: { idea, editNotes: options.editNotes, idempotencyKey: options.idempotencyKey },
        })
      ).reviseReview
    : (
        await client.request(StartReviewDocument, {
          input: { idea: idea!, extraContext, idempotencyKey: options.idempotencyKey },
        })
      ).startReview;
  const progress = createProgress(process.stderr, { quiet: config.json });
  progress.note(`review run ${started.id} (${started.runType})`);
  const printed = new Set<string>();
  const { run, outcome } = await awaitRun<ReviewRunFieldsFragment>({
    fetch: async () => (await client.request(ReviewRunDocument, { id: started.id })).reviewRun,
    follow: (onState, signal, poll) =>
      follow(
        client.credentials,
        ReviewRunProgressDocument,
        { runId: started.id },
        (d) => {
          onState(d.reviewRunProgress);
          if (d.reviewRunProgress.event?.startsWith('PERSONA_')) poll(); // print it as it lands
        },
        { signal, onReconnect: () => progress.note('reconnected; following the review again') },
      ),
    onRun: (current) => {
      for (const p of current.personaReviews) {
        if (printed.has(p.personaId) || config.json) continue;
        printed.add(p.personaId);
        progress.note(
          p.error
            ? `  ${p.personaName}: failed (${p.error.code})`
            : `  ${p.personaName}: ${p.verdict} (confidence ${p.confidence.toFixed(2)}, weight ${p.weight})${p.blockingIssues.length ? ` — blocking: ${p.blockingIssues.join('; ')}` : ''}`,
        );
      }
    },
    isTerminal: (status) => REVIEW_TERMINAL.has(status),
    isSettled: (r) => REVIEW_TERMINAL.has(r.status),
    progress,
    timeoutMs: options.timeout * 1000,
    stallMs: 60_000,
    settleMs: 0,
  });
  const final = run ?? started;
  if (outcome === 'timeout' || outcome === 'stalled') {
    const reason =
      outcome === 'timeout'
        ? `still ${final.status} after --timeout ${options.timeout}s`
        : 'Assay stopped answering';
    if (config.json) printJson({ exitCode: EXIT.UNREACHABLE, outcome: reason, run: final });
    else err(`review ${final.id}: ${reason}`);
    return EXIT.UNREACHABLE;
  }
  const code = decisionExit(final);
  if (config.json) printJson({ exitCode: code, run: final });
  else if (final.decision) {
    const d = final.decision;
    out(
      `decision ${d.label} (weighted confidence ${d.overallWeightedConfidence.toFixed(2)}${d.partial ? `, partial: missing ${d.missingPersonas.join(', ')}` : ''})`,
    );
    out(`  ${d.rationale}`);
    for (const dissent of d.dissent) out(`  dissent: ${dissent}`);
  } else {
    err(
      `review ${final.id} ended ${final.status}${final.error ? `: ${final.error.code} ${final.error.message}` : ''}`,
    );
  }
  return code;
}

function readText(path: string, flag: string): string {
  try {
    const text = readFileSync(path === '-' ? 0 : path, 'utf8');
    if (text.trim() === '') throw new UsageError(`${flag} ${path} is empty`);
    return text;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
