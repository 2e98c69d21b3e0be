import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Caller, isScope, TENANT_PATTERN } from './caller.ts';

/**
 * The gateway's word to a subgraph about who is calling: `v1.<payload>.<HMAC-SHA256>` (base64url),
 * sent as this header over HTTP and under this key in graphql-ws `connection_init`. A subgraph trusts
 * nothing else: a client that reaches it directly cannot forge a tenant without the secret.
 */
export const CONTEXT_HEADER = 'x-assay-context';

const VERSION = 'v1';

interface Payload {
  t: string;
  s: string[];
  u: string;
  /** Expiry, epoch milliseconds. */
  e: number;
}

function mac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

export function signContext(caller: Caller, secret: string, expiresAt: number): string {
  const payload: Payload = { t: caller.tenant, s: caller.scopes, u: caller.subject, e: expiresAt };
  const body = `${VERSION}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

/** The caller a token vouches for, or null when it is malformed, forged or expired. */
export function verifyContext(token: string | undefined, secret: string, now = Date.now()): Caller | null {
  if (!token || token.length > 4096) return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const expected = mac(secret, `${parts[0]}.${parts[1]}`);
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let payload: Payload;
  try {
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Payload;
  } catch {
    return null;
  }
  if (typeof payload.e !== 'number' || payload.e < now) return null;
  if (typeof payload.t !== 'string' || !TENANT_PATTERN.test(payload.t)) return null;
  if (!Array.isArray(payload.s) || !payload.s.every((s) => typeof s === 'string' && isScope(s))) return null;
  if (typeof payload.u !== 'string') return null;
  return { tenant: payload.t, scopes: payload.s as Caller['scopes'], subject: payload.u };
}

/**
 * Signs a caller's context, reusing the token for a while: the gateway keeps one graphql-ws socket
 * per distinct token to each subgraph, so a token that changed on every request would open one per
 * subscription. Tokens live `ttlMs` and are renewed once half of that has passed.
 */
export class ContextSigner {
  private readonly cache = new Map<string, { token: string; renewAt: number }>();

  constructor(
    private readonly secret: string,
    private readonly ttlMs = 5 * 60_000,
  ) {}

  sign(caller: Caller, now = Date.now()): string {
    const key = `${caller.tenant}\n${caller.subject}\n${caller.scopes.join(',')}`;
    const cached = this.cache.get(key);
    if (cached && cached.renewAt > now) return cached.token;
    const token = signContext(caller, this.secret, now + this.ttlMs);
    if (this.cache.size >= 10_000) this.cache.clear(); // bounded: callers are few, keys are many
    this.cache.set(key, { token, renewAt: now + this.ttlMs / 2 });
    return token;
  }
}
