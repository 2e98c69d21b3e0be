import { AssayClient } from '../client/graphql-client.ts';
import type { CliConfig } from '../config.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { type ScoringRunFieldsFragment, StartScoringRunDocument } from '../generated/graphql.ts';
import { defaultIdempotencyKey, readDiff } from '../input/diff-input.ts';
import { annotation, appendStepSummary, cell, underGitHubActions } from '../output/github.ts';
import { err, out, printJson } from '../output/print.ts';
import { createProgress } from '../output/progress.ts';
import type { Outcome } from '../runs/await-run.ts';
import { awaitScoringRun } from '../runs/scoring-run.ts';

export interface ScoreOptions {
  repo: string;
  pr?: number;
  title?: string;
  diffFile?: string;
  git?: string;
  scorer: 'RULES' | 'LLM';
  minScore?: number;
  idempotencyKey?: string;
  persistTimeout: number;
  timeout: number;
}

/** `assay score`: starts a run (idempotently), follows it, prints the score; the exit code says what happened. */
export async function score(options: ScoreOptions, config: CliConfig): Promise<ExitCode> {
  const diff = readDiff(options);
  const client = new AssayClient(config);
  const idempotencyKey = options.idempotencyKey ?? defaultIdempotencyKey(options.repo, options.pr, diff);
  const { startScoringRun: started } = await client.request(StartScoringRunDocument, {
    input: {
      subject: { repository: options.repo, prNumber: options.pr, title: options.title, diff },
      scorer: options.scorer,
      idempotencyKey,
    },
  });
  const progress = createProgress(process.stderr, { quiet: config.json });
  progress.note(
    `scoring run ${started.id} (${started.scorer}) for ${options.repo}${options.pr ? `#${options.pr}` : ''}`,
  );
  const { run, outcome } = await awaitScoringRun(
    client,
    started.id,
    progress,
    { timeoutMs: options.timeout * 1000, persistTimeoutMs: options.persistTimeout * 1000 },
    () => progress.note('reconnected; following the run again'),
  );
  const final = run ?? started;
  const { code, reason } = verdict(final, outcome, options);
  if (config.json) {
    printJson({ exitCode: code, outcome: reason, run: final });
  } else {
    printScore(final);
    (code === EXIT.OK ? out : err)(reason);
  }
  if (underGitHubActions()) reportToGitHub(final, code, reason, config.json);
  return code;
}

function verdict(
  run: ScoringRunFieldsFragment,
  outcome: Outcome,
  options: ScoreOptions,
): { code: ExitCode; reason: string } {
  const waited = `--persist-timeout ${options.persistTimeout}s`;
  if (outcome === 'timeout') {
    return {
      code: EXIT.NOT_VERIFIED,
      reason: `the run was still ${run.status} after --timeout ${options.timeout}s`,
    };
  }
  if (outcome === 'stalled') {
    return {
      code: EXIT.NOT_VERIFIED,
      reason: `Assay stopped answering for ${waited} after accepting run ${run.id}; its score is not confirmed as stored`,
    };
  }
  if (run.status === 'ERROR' || run.status === 'CANCELLED') {
    const why = run.error ? `: ${run.error.code} ${run.error.message}` : '';
    return { code: EXIT.RUN_FAILED, reason: `run ${run.id} ended ${run.status}${why}` };
  }
  if (outcome === 'unsettled') {
    return {
      code: EXIT.NOT_VERIFIED,
      reason: `run ${run.id} is DONE but its score was not verified as stored within ${waited} (persistence ${run.persistence})`,
    };
  }
  const value = run.score!.value;
  if (options.minScore !== undefined && value < options.minScore) {
    return { code: EXIT.BELOW_THRESHOLD, reason: `score ${value} is below --min-score ${options.minScore}` };
  }
  return { code: EXIT.OK, reason: `score ${value} verified as stored` };
}

function printScore(run: ScoringRunFieldsFragment): void {
  if (!run.score) return;
  const s = run.score;
  out(`score ${s.value} ${s.band}  (run ${run.id}, ${run.scorer}, verified ${s.verifiedAt ?? 'not yet'})`);
  for (const c of s.criteria)
    out(`  ${c.criterion.padEnd(16)} ${c.score.toFixed(1).padStart(4)}  ×${c.weight}  ${c.detail}`);
  if (s.violations.length > 0) out('violations:');
  for (const v of s.violations)
    out(`  ${v.file}${v.line ? `:${v.line}` : ''}  ${v.severity}  ${v.rule}  ${v.message}`);
}

/**
 * Violations as workflow annotations on the diff, and a summary on the job's page. The runner reads
 * workflow commands on stdout and stderr alike: with `--json` they go to stderr, so stdout stays one
 * parseable document.
 */
function reportToGitHub(run: ScoringRunFieldsFragment, code: ExitCode, reason: string, json: boolean): void {
  const print = json ? err : out;
  for (const v of run.score?.violations ?? []) {
    const level = v.severity === 'HIGH' || v.severity === 'CRITICAL' ? 'error' : 'warning';
    print(
      annotation({
        level,
        file: v.file,
        line: v.line,
        title: `${v.rule} (${v.severity})`,
        message: v.message,
      }),
    );
  }
  const lines = [
    `### Assay score: ${run.score ? `${run.score.value} ${run.score.band}` : run.status}`,
    '',
    cell(reason),
    '',
  ];
  if (run.score) {
    lines.push('| criterion | score | weight |', '| --- | --- | --- |');
    for (const c of run.score.criteria) lines.push(`| ${cell(c.criterion)} | ${c.score} | ${c.weight} |`);
    if (run.score.violations.length > 0) {
      lines.push('', '| file | line | severity | rule | message |', '| --- | --- | --- | --- | --- |');
      for (const v of run.score.violations) {
        lines.push(
          `| ${cell(v.file)} | ${v.line ?? ''} | ${v.severity} | ${cell(v.rule)} | ${cell(v.message)} |`,
        );
      }
    }
  }
  lines.push('', `Run \`${run.id}\`${run.traceId ? `, trace \`${run.traceId}\`` : ''}; exit code ${code}.`);
  appendStepSummary(lines.join('\n'));
}
