import { userInfo } from 'node:os';
import { AssayClient } from '../client/graphql-client.ts';
import type { CliConfig } from '../config.ts';
import { CliError, EXIT, type ExitCode } from '../exit-codes.ts';
import {
  FailureDocument,
  type FailureFilter,
  FailureGroupsDocument,
  FailureStatsDocument,
  FailuresDocument,
  type MatchType,
  type RecoveryStatus,
  type Severity,
  UpdateFailureGroupRecoveryDocument,
  UpdateFailureRecoveryDocument,
} from '../generated/graphql.ts';
import { out, printJson, table } from '../output/print.ts';

export interface ListOptions {
  run?: string;
  service?: string;
  code?: string;
  category?: string;
  severity?: Severity;
  match?: MatchType;
  status?: RecoveryStatus;
  since?: string;
  until?: string;
  first: number;
}

/** Filters exactly as the API's `FailureFilter`; the API validates them (bad input: exit 4). */
export async function list(o: ListOptions, config: CliConfig): Promise<ExitCode> {
  const filter: FailureFilter = {
    runId: o.run,
    service: o.service,
    errorCode: o.code,
    category: o.category,
    severity: o.severity,
    matchType: o.match,
    recoveryStatus: o.status,
    since: o.since,
    until: o.until,
  };
  const { failures } = await new AssayClient(config).request(FailuresDocument, {
    first: o.first,
    filter,
  });
  if (config.json) printJson(failures);
  else {
    out(
      table(
        ['created', 'id', 'service', 'code', 'category', 'severity', 'match', 'recovery', 'run'],
        failures.nodes.map((f) => [
          f.createdAt,
          f.id,
          f.service,
          f.errorCode,
          f.category,
          f.severity,
          f.matchType,
          f.recoveryStatus,
          f.runId,
        ]),
      ),
    );
    if (failures.pageInfo.hasNextPage) out(`(more: raise --first, or narrow the filters)`);
  }
  return EXIT.OK;
}

export async function show(id: string, config: CliConfig): Promise<ExitCode> {
  const { failure } = await new AssayClient(config).request(FailureDocument, { id });
  if (!failure) throw new CliError(`no failure ${id}`, EXIT.USAGE);
  if (config.json) {
    printJson(failure);
    return EXIT.OK;
  }
  out(`failure ${failure.id}: ${failure.errorCode} (${failure.service}, ${failure.stage ?? 'no stage'})`);
  out(`  message:    ${failure.errorMessage ?? '-'}`);
  out(
    `  catalog:    ${failure.catalogEntry ? `${failure.catalogEntry.errorCode} — ${failure.catalogEntry.title}` : 'no match'} (${failure.matchType}, ${failure.matchConfidence})`,
  );
  out(
    `  category:   ${failure.category ?? '-'}  severity: ${failure.severity ?? '-'}  retryable: ${failure.retryable}`,
  );
  out(
    `  recovery:   ${failure.recoveryStatus}${failure.recoverySuggestion ? ` — ${failure.recoverySuggestion}` : ''}`,
  );
  out(`  run:        ${failure.runId ?? '-'}   trace: ${failure.traceId ?? '-'}`);
  if (failure.group)
    out(`  group:      ${failure.group.id} (${failure.group.count} occurrences, ${failure.group.status})`);
  out(`  history:${failure.recoveryHistory.length ? '' : ' none'}`);
  for (const h of failure.recoveryHistory) {
    out(
      `    ${h.changedAt}  ${h.fromStatus} → ${h.toStatus}  by ${h.changedBy}${h.note ? `: ${h.note}` : ''}`,
    );
  }
  return EXIT.OK;
}

export async function groups(
  o: { status?: RecoveryStatus; service?: string; code?: string; first: number },
  config: CliConfig,
): Promise<ExitCode> {
  const { failureGroups } = await new AssayClient(config).request(FailureGroupsDocument, {
    first: o.first,
    filter: { status: o.status, service: o.service, errorCode: o.code },
  });
  if (config.json) printJson(failureGroups);
  else {
    out(
      table(
        ['last seen', 'id', 'service', 'code', 'count', 'runs', 'status', 'sample'],
        failureGroups.nodes.map((g) => [
          g.lastSeen,
          g.id,
          g.service,
          g.errorCode,
          g.count,
          g.runsAffected,
          g.status,
          g.sampleMessage?.slice(0, 60),
        ]),
      ),
    );
  }
  return EXIT.OK;
}

export async function recover(
  id: string,
  o: { status: RecoveryStatus; note?: string; by?: string; group?: boolean },
  config: CliConfig,
): Promise<ExitCode> {
  const client = new AssayClient(config);
  const input = { status: o.status, note: o.note, by: o.by ?? whoami() };
  const changed = o.group
    ? (await client.request(UpdateFailureGroupRecoveryDocument, { id, input })).updateFailureGroupRecovery
    : (await client.request(UpdateFailureRecoveryDocument, { id, input })).updateFailureRecovery;
  if (config.json) printJson(changed);
  else
    out(
      `${o.group ? 'group' : 'failure'} ${id}: ${'status' in changed ? changed.status : changed.recoveryStatus}`,
    );
  return EXIT.OK;
}

export async function stats(o: { sinceHours: number }, config: CliConfig): Promise<ExitCode> {
  const { failureStats: s } = await new AssayClient(config).request(FailureStatsDocument, {
    sinceHours: o.sinceHours,
  });
  if (config.json) {
    printJson(s);
    return EXIT.OK;
  }
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  out(
    `last ${s.sinceHours} h: ${s.total} failures, ${s.matched} matched (${pct(s.matchRate)}), ${s.recovered} recovered (${pct(s.recoveryRate)})`,
  );
  if (s.meanTimeToRecoverySeconds !== null)
    out(`mean time to recovery: ${s.meanTimeToRecoverySeconds.toFixed(0)} s`);
  if (s.topCodes.length) out(`top codes: ${s.topCodes.map((c) => `${c.key} ${c.count}`).join(', ')}`);
  if (s.topCategories.length)
    out(`top categories: ${s.topCategories.map((c) => `${c.key} ${c.count}`).join(', ')}`);
  return EXIT.OK;
}

function whoami(): string {
  try {
    return `${userInfo().username} (assay cli)`;
  } catch {
    return 'assay cli';
  }
}
