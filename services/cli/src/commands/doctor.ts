import { AuthError, howToSupplyKey } from '../client/credentials.ts';
import { AssayClient, type GatewayStatus } from '../client/graphql-client.ts';
import type { CliConfig } from '../config.ts';
import { CliError, EXIT, type ExitCode } from '../exit-codes.ts';
import { DeadLettersDocument, UnpersistedScoresDocument } from '../generated/graphql.ts';
import { err, out, printJson, table } from '../output/print.ts';

interface Finding {
  check: string;
  ok: boolean;
  detail: string;
  /** The read failed because the API refused the key (not printed: it becomes the api key finding). */
  refused?: AuthError;
}

/** An outbox this deep means the catalog is not keeping up (the alert fires on the same figure). */
const OUTBOX_LIMIT = 1000;

/**
 * `assay doctor`: the gateway, every service's readiness (database reachable and its round trip,
 * breaker, spool depth), the failure outbox, pending dead letters and unverified scores, in one
 * table; exit 1 when anything is wrong, 5 when the gateway itself does not answer, 4 when the API
 * refuses the API key (missing, unknown or without a scope). Which key is used is shown by its
 * source (flag, variable, config file, dev key file), never by its value.
 */
export async function doctor(config: CliConfig): Promise<ExitCode> {
  const client = new AssayClient(config);
  const status = await client.status(); // unreachable: exit 5
  const findings: Finding[] = [{ check: 'gateway', ok: true, detail: client.url }];
  const apiKey: Finding = {
    check: 'api key',
    ok: true,
    detail: config.apiKey ? `from ${config.apiKey.source}` : `none (${howToSupplyKey(config.devKeyFile)})`,
  };
  findings.push(apiKey);
  for (const s of status.subgraphs) findings.push(...serviceFindings(s));
  findings.push(
    await apiFinding('dead letters', async () => {
      const pending = (await client.request(DeadLettersDocument, { first: 100, status: 'PENDING' }))
        .persistenceFailures;
      const n = pending.nodes.length;
      return {
        ok: n === 0,
        detail:
          n === 0 ? 'none pending' : `${n}${pending.pageInfo.hasNextPage ? '+' : ''} pending: assay dlq list`,
      };
    }),
  );
  findings.push(
    await apiFinding('unverified scores', async () => {
      const runs = (await client.request(UnpersistedScoresDocument, { sinceHours: 24 })).unpersistedScores;
      return {
        ok: runs.length === 0,
        detail:
          runs.length === 0
            ? 'none in 24 h'
            : `${runs.length} DONE without a verified score: ${runs
                .slice(0, 3)
                .map((r) => r.id)
                .join(', ')}`,
      };
    }),
  );
  // The API reads are what authenticate: a refused key is the finding, and the exit code says "fix your input".
  const refused = findings.map((f) => f.refused).find((e) => e !== undefined);
  if (refused) Object.assign(apiKey, { ok: false, detail: refused.message });
  const healthy = findings.every((f) => f.ok);
  if (config.json) printJson({ healthy, findings: findings.map(({ refused: _, ...f }) => f) });
  else {
    out(
      table(
        ['check', 'status', 'detail'],
        findings.map((f) => [f.check, f.ok ? 'ok' : 'FAIL', f.detail]),
      ),
    );
    out(
      healthy
        ? 'all healthy'
        : `unhealthy: ${findings
            .filter((f) => !f.ok)
            .map((f) => f.check)
            .join(', ')}`,
    );
  }
  if (refused) {
    if (!config.json) err(`assay: ${refused.message}`);
    return EXIT.USAGE;
  }
  return healthy ? EXIT.OK : EXIT.UNHEALTHY;
}

function serviceFindings(s: GatewayStatus['subgraphs'][number]): Finding[] {
  if (!s.reachable)
    return [{ check: s.name, ok: false, detail: `not reachable from the gateway (${s.latencyMs} ms)` }];
  const findings: Finding[] = [
    { check: s.name, ok: s.ready, detail: s.ready ? `ready (${s.latencyMs} ms)` : 'not ready' },
  ];
  for (const [name, c] of Object.entries(s.checks)) {
    const detail = c.detail as Record<string, unknown> | string | undefined;
    let text = typeof detail === 'string' ? detail : detail ? JSON.stringify(detail) : '';
    let ok = c.ok;
    if (name === 'database' && c.ok && typeof detail === 'object') text = `reachable, ${detail.latencyMs} ms`;
    if (name === 'database' && !c.ok) text = `unreachable: ${text || 'no answer'}`;
    if (name === 'spool' && typeof detail === 'object') {
      ok = c.ok && detail.depth === 0 && detail.quarantined === 0;
      text = `${detail.depth} waiting, ${detail.quarantined} quarantined${ok ? '' : ': assay spool list'}`;
    }
    if (name === 'outbox' && typeof detail === 'object') {
      ok = Object.values(detail).every((n) => Number(n) < OUTBOX_LIMIT);
      text =
        Object.entries(detail)
          .map(([producer, n]) => `${producer} ${n}`)
          .join(', ') || 'empty';
    }
    findings.push({ check: `${s.name} ${name}`, ok, detail: text });
  }
  return findings;
}

/** A check read through the API; a failed read is itself a finding (a subgraph may be down). */
async function apiFinding(check: string, read: () => Promise<Omit<Finding, 'check'>>): Promise<Finding> {
  try {
    return { check, ...(await read()) };
  } catch (error) {
    if (error instanceof AuthError) {
      return { check, ok: false, detail: `cannot read: API key refused (${error.code})`, refused: error };
    }
    return {
      check,
      ok: false,
      detail: `cannot read: ${error instanceof CliError ? error.message : String(error)}`,
    };
  }
}
