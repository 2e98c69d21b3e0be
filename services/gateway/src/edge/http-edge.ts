import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS, setSecurityHeaders } from '@assay/kit/http';

/** The IDE page loads its own scripts and styles (bundled, same origin) and talks to /graphql. */
const IDE_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A browser asking /graphql for a page: the IDE (when it is on). */
export function wantsIde(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

/**
 * Security headers on every gateway response: nosniff, no referrer, no framing, no caching, and a
 * CSP that allows nothing (JSON needs nothing), relaxed only for the IDE page.
 */
export function setEdgeHeaders(req: IncomingMessage, res: ServerResponse, ideEnabled: boolean): void {
  setSecurityHeaders(res);
  if (ideEnabled && wantsIde(req)) res.setHeader('content-security-policy', IDE_CSP);
}

export { SECURITY_HEADERS };

/**
 * CORS from an allow-list (`ASSAY_CORS_ORIGINS`): a listed origin gets its own origin back (and
 * credentials only with `ASSAY_CORS_CREDENTIALS`), any other origin no CORS headers at all, so a
 * browser keeps the response from the page that asked.
 */
export function corsFromAllowList(origins: readonly string[], credentials: boolean) {
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !allowed.has(origin)) return false as const;
    return {
      origin: [origin],
      credentials,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['authorization', 'content-type', 'accept', 'x-graphql-csrf', 'traceparent'],
      exposedHeaders: ['retry-after'],
      maxAge: 600,
    };
  };
}
