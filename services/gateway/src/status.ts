import type { ServerResponse } from 'node:http';

export interface SubgraphStatus {
  name: string;
  /** Answered `/readyz` at all. */
  reachable: boolean;
  ready: boolean;
  /** Round trip of the `/readyz` call. */
  latencyMs: number;
  /** The subgraph's own checks (database, breaker, spool, …), as its `/readyz` reports them. */
  checks: Record<string, { ok: boolean; detail?: unknown }>;
}

/**
 * `GET /status`: every subgraph's readiness, asked now, in one answer (what `assay doctor` reads).
 * Open like `/readyz`; it carries no URLs, only names and the subgraphs' own check results.
 */
export async function statusHandler(
  res: ServerResponse,
  urls: Record<string, string>,
  timeoutMs = 3000,
): Promise<void> {
  const subgraphs = await Promise.all(
    Object.entries(urls).map(([name, url]) =>
      readiness(name, url.replace(/\/graphql$/, '/readyz'), timeoutMs),
    ),
  );
  const body = JSON.stringify({ ready: subgraphs.every((s) => s.ready), subgraphs });
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
}

async function readiness(name: string, url: string, timeoutMs: number): Promise<SubgraphStatus> {
  const startedAt = performance.now();
  const latencyMs = () => Math.round(performance.now() - startedAt);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as { ready?: boolean; checks?: SubgraphStatus['checks'] };
    return {
      name,
      reachable: true,
      ready: res.ok && body.ready === true,
      latencyMs: latencyMs(),
      checks: body.checks ?? {},
    };
  } catch {
    return { name, reachable: false, ready: false, latencyMs: latencyMs(), checks: {} };
  }
}
