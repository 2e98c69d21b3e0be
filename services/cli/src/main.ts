import { Command, CommanderError, Option } from 'commander';
import { type ApiKey, redactKeys } from './client/credentials.ts';
import { type CliConfig, type GlobalOptions, resolveConfig } from './config.ts';
import { CliError, EXIT, type ExitCode } from './exit-codes.ts';
import { positiveInt, repository, scoreValue, seconds, uuid } from './input/parse.ts';

// Command modules are imported when their command runs: `assay --help` loads only this file and commander.
type Action = (config: CliConfig) => Promise<ExitCode>;

const EXAMPLES = `
Examples:
  $ assay score --repo acme/api --pr 42 --git origin/main..HEAD --min-score 7
  $ git diff main | assay score --repo acme/api --pr 42 --json
  $ assay review --idea-file proposal.md
  $ assay runs watch 0b7c…            follow a run live until it ends
  $ assay failures list --status UNRECOVERED
  $ assay dlq replay --all --dry-run
  $ assay doctor

Configuration: --url, else ASSAY_URL, else "url" in the config file (--config, ASSAY_CONFIG or
./assay.config.json), else ${'http://127.0.0.1:4000/graphql'}. API key (sent as Authorization: Bearer):
--api-key, else ASSAY_API_KEY, else "apiKey" in the config file, else the development key npm start
writes to <ASSAY_DATA_DIR or ./.assay>/dev-api-key. Prefer ASSAY_API_KEY in CI: a flag shows in ps.

Exit codes: 0 ok; 1 below --min-score / REVISE / unhealthy; 2 run ERROR, FAILED or CANCELLED;
3 score not verified as stored in time; 4 usage or input error, or a missing, refused or
under-scoped API key; 5 Assay unreachable; 6 REJECT.`;

export function buildProgram(run: (action: Action, cmd: Command) => Promise<void>): Command {
  const program = new Command('assay')
    .description('Score pull requests, review proposals, watch runs and operate Assay.')
    .version('0.1.0')
    .option('--url <url>', 'gateway GraphQL endpoint')
    .option('--json', 'print one JSON document instead of text')
    .option('--config <file>', 'config file (JSON: {"url": …, "apiKey": …})')
    .option(
      '--api-key <key>',
      'API key (else ASSAY_API_KEY, "apiKey" in the config file, the npm start dev key)',
    )
    .addHelpText('after', EXAMPLES)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    // A mistyped option may carry a key in its text (`--api-kye=assay_…`): never echo one.
    .configureOutput({ writeErr: (s) => process.stderr.write(redactKeys(s)) });

  program
    .command('score')
    .description('Score a pull-request diff, follow it live, and exit with what happened')
    .requiredOption('--repo <owner/name>', 'repository', repository)
    .option('--pr <n>', 'pull request number', positiveInt)
    .option('--title <title>', 'pull request title')
    .option('--diff-file <file>', 'unified diff to score (- for stdin)')
    .option('--git <range>', 'score `git diff <range>`, e.g. origin/main..HEAD')
    .addOption(new Option('--scorer <kind>', 'scorer').choices(['RULES', 'LLM']).default('RULES'))
    .option('--min-score <x>', 'exit 1 when the score is below x (0–10)', scoreValue)
    .option(
      '--idempotency-key <key>',
      'defaults to one derived from repo, PR and diff: a re-run never scores twice',
    )
    .option(
      '--persist-timeout <s>',
      'exit 3 when the score is not verified as stored within s seconds',
      seconds,
      60,
    )
    .option('--timeout <s>', 'longest wait for the run to finish', seconds, 900)
    .addHelpText(
      'after',
      `
Examples:
  $ assay score --repo acme/api --pr 42 --git origin/main...HEAD --min-score 7
  $ assay score --repo acme/api --diff-file change.diff --scorer LLM --json
  $ git diff main | assay score --repo acme/api --pr 42

Exit codes: 0 scored and verified (at or above --min-score); 1 below --min-score; 2 run ERROR or
CANCELLED; 3 not verified as stored within --persist-timeout; 4 usage or input; 5 unreachable.`,
    )
    .action((opts, cmd) => run(async (c) => (await import('./commands/score.ts')).score(opts, c), cmd));

  program
    .command('review')
    .description('Review a proposal with every persona; one line per persona, then the decision')
    .option('--idea-file <file>', 'the proposal (Markdown or text; - for stdin)')
    .option('--context-file <file>', 'extra context for the reviewers')
    .option('--revise <runId>', 'review a revision of a finished run', uuid)
    .option('--edit-notes <text>', 'with --revise: what changed')
    .option('--idempotency-key <key>', 'the same key returns the same run')
    .option('--timeout <s>', 'longest wait for the decision', seconds, 900)
    .action((opts, cmd) => run(async (c) => (await import('./commands/review.ts')).review(opts, c), cmd));

  const runs = program
    .command('runs')
    .description('List, inspect, follow and cancel scoring and review runs');
  runs
    .command('list')
    .description('Recent runs, newest first')
    .addOption(new Option('--kind <kind>', 'which runs').choices(['scoring', 'review', 'all']).default('all'))
    .option('--status <status>', 'only runs in this status (e.g. DONE, ERROR, RUNNING)')
    .option('--first <n>', 'how many of each kind', positiveInt, 20)
    .action((opts, cmd) => run(async (c) => (await import('./commands/runs.ts')).list(opts, c), cmd));
  runs
    .command('show')
    .argument('<runId>', 'run id', uuid)
    .description('Every field of a run: attempts, failures, trace id (the debug view)')
    .action((id, _opts, cmd) => run(async (c) => (await import('./commands/runs.ts')).show(id, c), cmd));
  runs
    .command('watch')
    .argument('<runId>', 'run id', uuid)
    .description('Follow a run live until it ends; survives a gateway restart')
    .option('--timeout <s>', 'longest wait', seconds, 900)
    .action((id, opts, cmd) =>
      run(async (c) => (await import('./commands/runs.ts')).watch(id, opts, c), cmd),
    );
  runs
    .command('cancel')
    .argument('<runId>', 'run id', uuid)
    .description('Cancel a queued or running run')
    .action((id, _opts, cmd) => run(async (c) => (await import('./commands/runs.ts')).cancel(id, c), cmd));

  const failures = program
    .command('failures')
    .description('The failure catalog: list, inspect, group, recover');
  failures
    .command('list')
    .description('Failures, newest first')
    .option('--run <runId>', 'of one run')
    .option('--service <name>', 'scoring or review')
    .option('--code <errorCode>', 'by error code')
    .option('--category <category>', 'by catalog category')
    .addOption(new Option('--severity <s>').choices(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']))
    .addOption(new Option('--match <type>').choices(['EXACT', 'PREFIX', 'PATTERN', 'KEYWORD', 'NONE']))
    .addOption(
      new Option('--status <s>', 'recovery status').choices([
        'UNRECOVERED',
        'RECOVERED',
        'IGNORED',
        'REGRESSED',
      ]),
    )
    .option('--since <time>', 'ISO date-time')
    .option('--until <time>', 'ISO date-time')
    .option('--first <n>', 'how many', positiveInt, 50)
    .action((opts, cmd) => run(async (c) => (await import('./commands/failures.ts')).list(opts, c), cmd));
  failures
    .command('show <id>')
    .description('One failure: its catalog match, group and recovery history')
    .action((id, _opts, cmd) => run(async (c) => (await import('./commands/failures.ts')).show(id, c), cmd));
  failures
    .command('groups')
    .description('Failures grouped by fingerprint')
    .addOption(new Option('--status <s>').choices(['UNRECOVERED', 'RECOVERED', 'IGNORED', 'REGRESSED']))
    .option('--service <name>')
    .option('--code <errorCode>')
    .option('--first <n>', 'how many', positiveInt, 50)
    .action((opts, cmd) => run(async (c) => (await import('./commands/failures.ts')).groups(opts, c), cmd));
  failures
    .command('recover <id>')
    .description('Set the recovery status of a failure (or, with --group, of a group and its occurrences)')
    .addOption(
      new Option('--status <s>', 'new status')
        .choices(['UNRECOVERED', 'RECOVERED', 'IGNORED'])
        .default('RECOVERED'),
    )
    .option('--note <text>', 'why')
    .option('--by <who>', 'who (defaults to $USER)')
    .option('--group', '<id> is a failure group')
    .action((id, opts, cmd) =>
      run(async (c) => (await import('./commands/failures.ts')).recover(id, opts, c), cmd),
    );
  failures
    .command('stats')
    .description('Totals, match and recovery rates, top codes')
    .option('--since-hours <n>', 'window', positiveInt, 24)
    .action((opts, cmd) => run(async (c) => (await import('./commands/failures.ts')).stats(opts, c), cmd));

  const dlq = program.command('dlq').description('Dead letters: writes that failed permanently');
  dlq
    .command('list')
    .description('Dead letters, newest first')
    .addOption(
      new Option('--status <s>').choices(['PENDING', 'RETRYING', 'RESOLVED', 'IGNORED']).default('PENDING'),
    )
    .action((opts, cmd) => run(async (c) => (await import('./commands/dlq.ts')).list(opts, c), cmd));
  for (const [name, description] of [
    ['replay', 'Write the stored payload again'],
    ['resolve', 'Close by hand as RESOLVED'],
    ['ignore', 'Close by hand as IGNORED'],
  ] as const) {
    dlq
      .command(`${name} [id]`)
      .description(`${description}: one id, or --all pending`)
      .option('--all', 'every PENDING dead letter')
      .option('--dry-run', 'say what would change and change nothing')
      .option('--note <text>', 'resolution note (resolve, ignore)')
      .action((id, opts, cmd) =>
        run(async (c) => (await import('./commands/dlq.ts')).act(name, id, opts, c), cmd),
      );
  }

  program
    .command('spool')
    .description('The durable write spools on this machine (list, replay); same as `npm run spool`')
    .argument('[args...]', 'list [--service NAME] [--records] | replay --service NAME [--dry-run]')
    .allowUnknownOption()
    .helpOption(false)
    .action((args: string[]) => run(async () => (await import('./commands/spool.ts')).spool(args), program));

  program
    .command('doctor')
    .description('Every service, the database, breakers, spools, dead letters, outbox and unverified scores')
    .action((_opts, cmd) => run(async (c) => (await import('./commands/doctor.ts')).doctor(c), cmd));

  return program;
}

/** Parses argv, runs the command, and answers its exit code; every failure is one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  let apiKey: ApiKey | undefined;
  const program = buildProgram(async (action, cmd) => {
    const config = resolveConfig(cmd.optsWithGlobals() as GlobalOptions);
    apiKey = config.apiKey;
    code = await action(config);
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    // The key is never printed, whatever an error quotes.
    if (error instanceof CliError) {
      process.stderr.write(`assay: ${redactKeys(error.message, apiKey)}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `assay: unexpected error: ${redactKeys(String((error as Error).stack ?? error), apiKey)}\n`,
    );
    return EXIT.UNREACHABLE;
  }
}
