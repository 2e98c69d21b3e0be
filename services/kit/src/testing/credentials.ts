import { SCOPES } from '../auth/caller.ts';
import { CONTEXT_HEADER, signContext } from '../auth/signed-context.ts';

/**
 * Tests act as a real client would: subgraphs started by `startReplica` share this secret, and
 * `gql()` signs requests to them as the `default` tenant with every scope; a system started with
 * `runScript('scripts/start.ts')` registers its gateway and development API key here. A test about
 * access control passes its own `authorization` / `x-assay-context` header (empty: none at all).
 */
export const TEST_CONTEXT_SECRET = 'assay-test-context-secret-0123456789abcdef';

const gatewayKeys = new Map<string, string>();
const subgraphs = new Set<string>();

export function registerGateway(url: string, apiKey: string): void {
  gatewayKeys.set(new URL(url).origin, apiKey);
}

export function registerSubgraph(url: string): void {
  subgraphs.add(new URL(url).origin);
}

/** A signed context for a subgraph, as the gateway would forward it. */
export function signedContext(tenant = 'default', scopes = [...SCOPES], subject = 'test'): string {
  return signContext({ tenant, scopes, subject }, TEST_CONTEXT_SECRET, Date.now() + 3_600_000);
}

/** The headers a test's request to `url` carries by default. */
export function credentialsFor(url: string): Record<string, string> {
  const origin = new URL(url.replace(/^ws/, 'http')).origin;
  const key = gatewayKeys.get(origin);
  if (key) return { authorization: `Bearer ${key}` };
  if (subgraphs.has(origin)) return { [CONTEXT_HEADER]: signedContext() };
  return {};
}

/** The graphql-ws `connection_init` payload for `url` (a gateway or subgraph). */
export function connectionParamsFor(url: string): Record<string, string> {
  return credentialsFor(url);
}
