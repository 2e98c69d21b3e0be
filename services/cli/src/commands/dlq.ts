import { AssayClient } from '../client/graphql-client.ts';
import type { CliConfig } from '../config.ts';
import { EXIT, type ExitCode, UsageError } from '../exit-codes.ts';
import {
  type DeadLetterFieldsFragment,
  type DeadLetterStatus,
  DeadLettersDocument,
  ReplayDeadLetterDocument,
  ResolveDeadLetterDocument,
} from '../generated/graphql.ts';
import { out, printJson, table } from '../output/print.ts';

const PAGE = 100;

/** Every dead letter in a status, following pages (the API pages at most 100). */
async function all(client: AssayClient, status: DeadLetterStatus): Promise<DeadLetterFieldsFragment[]> {
  const letters: DeadLetterFieldsFragment[] = [];
  let after: string | null | undefined;
  do {
    const page = (await client.request(DeadLettersDocument, { first: PAGE, after, status }))
      .persistenceFailures;
    letters.push(...page.nodes);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return letters;
}

const row = (d: DeadLetterFieldsFragment) => [
  d.createdAt,
  d.id,
  d.write,
  d.status,
  d.errorCode,
  d.retryCount,
  d.errorMessage.slice(0, 60),
];
const HEADERS = ['created', 'id', 'write', 'status', 'error', 'retries', 'message'];

export async function list(o: { status: DeadLetterStatus }, config: CliConfig): Promise<ExitCode> {
  const letters = await all(new AssayClient(config), o.status);
  if (config.json) printJson(letters);
  else out(letters.length ? table(HEADERS, letters.map(row)) : `no ${o.status} dead letters`);
  return EXIT.OK;
}

/**
 * `replay`, `resolve` or `ignore` one dead letter, or every PENDING one with `--all`. `--dry-run`
 * lists what would change and sends no mutation. Exit 1 when a replay could not store its payload.
 */
export async function act(
  action: 'replay' | 'resolve' | 'ignore',
  id: string | undefined,
  o: { all?: boolean; dryRun?: boolean; note?: string },
  config: CliConfig,
): Promise<ExitCode> {
  if (!id === !o.all) throw new UsageError(`dlq ${action} takes one id or --all`);
  const client = new AssayClient(config);
  const targets = o.all ? (await all(client, 'PENDING')).map((d) => d.id) : [id!];
  if (o.dryRun) {
    if (config.json) printJson({ action, dryRun: true, ids: targets });
    else out(targets.length ? `would ${action} ${targets.length}: ${targets.join(', ')}` : 'nothing to do');
    return EXIT.OK;
  }
  const results: DeadLetterFieldsFragment[] = [];
  for (const target of targets) {
    results.push(
      action === 'replay'
        ? (await client.request(ReplayDeadLetterDocument, { id: target })).replayPersistenceFailure
        : (
            await client.request(ResolveDeadLetterDocument, {
              id: target,
              resolution: action === 'resolve' ? 'RESOLVED' : 'IGNORED',
              note: o.note,
            })
          ).resolvePersistenceFailure,
    );
  }
  if (config.json) printJson({ action, results });
  else out(results.length ? table(HEADERS, results.map(row)) : 'nothing to do');
  const failed = action === 'replay' && results.some((r) => r.status !== 'RESOLVED');
  return failed ? EXIT.UNHEALTHY : EXIT.OK;
}
