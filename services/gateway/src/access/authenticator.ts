import type { Logger } from '@assay/kit';
import type { Caller } from '@assay/kit/auth';
import { AccessUnavailableError, AuthenticationError } from './access-errors.ts';
import type { AccessStore, ApiKeyRecord } from './access-store.ts';
import { hashMatches, keyPrefix, looksLikeApiKey } from './api-key.ts';
import type { JwtVerifier } from './jwt-verifier.ts';

export interface AuthenticatorOptions {
  store: AccessStore;
  jwt?: JwtVerifier;
  log: Logger;
  /** How long a looked-up key row is trusted before it is read again. */
  cacheMs: number;
  /** How often `lastUsedAt` of used keys is written, in one statement. */
  touchIntervalMs?: number;
}

const MAX_CACHED = 10_000;
/** After a failed lookup, how long the store is left alone (requests do not each wait for it). */
const STORE_RETRY_MS = 1000;

/**
 * `Authorization: Bearer <API key or JWT>` → the caller. Key rows are cached for `cacheMs` (unknown
 * prefixes too, so a flood of made-up keys does not reach the database once per request); the hash
 * is compared on every request, so a cached row never accepts a wrong secret.
 */
export class Authenticator {
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();
  private readonly used = new Map<string, Date>();
  private readonly timer: NodeJS.Timeout;
  private storeDownUntil = 0;

  constructor(private readonly options: AuthenticatorOptions) {
    this.timer = setInterval(() => void this.flush(), options.touchIntervalMs ?? 30_000);
    this.timer.unref();
  }

  async authenticate(authorization: string | undefined): Promise<Caller> {
    if (!authorization) throw new AuthenticationError('send "Authorization: Bearer <API key or token>"');
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw new AuthenticationError('the Authorization header must be "Bearer <API key or token>"');
    const credential = match[1]!;
    if (looksLikeApiKey(credential)) return this.fromApiKey(credential);
    if (!this.options.jwt) throw new AuthenticationError('the credential is not an Assay API key');
    return this.options.jwt.verify(credential);
  }

  /** Forgets a key at once (it was revoked here); other replicas notice within `cacheMs`. */
  forget(prefix: string): void {
    this.cache.delete(prefix);
  }

  private async fromApiKey(key: string): Promise<Caller> {
    const prefix = keyPrefix(key);
    if (!prefix) throw new AuthenticationError('the API key is malformed');
    const record = await this.lookup(prefix);
    if (!record || !hashMatches(key, record.hash)) throw new AuthenticationError('unknown API key');
    if (record.revokedAt) throw new AuthenticationError(`API key ${prefix} has been revoked`);
    if (record.expiresAt && record.expiresAt.getTime() <= Date.now()) {
      throw new AuthenticationError(`API key ${prefix} has expired`);
    }
    this.used.set(record.id, new Date());
    return { tenant: record.tenant, scopes: record.scopes, subject: `key:${prefix}` };
  }

  /**
   * The key row, from the cache while it is fresh. With the store away, a row already known is used
   * stale (PostgreSQL being away is when the subgraphs spool accepted writes: known callers must
   * still get through), and for `STORE_RETRY_MS` after a failure the store is not asked again.
   */
  private async lookup(prefix: string): Promise<ApiKeyRecord | null> {
    const now = Date.now();
    const cached = this.cache.get(prefix);
    if (cached && cached.until > now) return cached.record;
    if (now < this.storeDownUntil) return this.stale(cached);
    let record: ApiKeyRecord | null;
    try {
      record = await this.options.store.findByPrefix(prefix);
    } catch (error) {
      this.storeDownUntil = Date.now() + STORE_RETRY_MS;
      this.options.log.warn({ err: { message: (error as Error).message } }, 'API key lookup failed');
      return this.stale(cached);
    }
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(prefix, { record, until: now + this.options.cacheMs });
    return record;
  }

  /** Fail closed for a key never seen, but say it is us: the client should retry, not replace its key. */
  private stale(cached: { record: ApiKeyRecord | null } | undefined): ApiKeyRecord | null {
    if (cached) return cached.record;
    throw new AccessUnavailableError();
  }

  async flush(): Promise<void> {
    if (this.used.size === 0) return;
    const batch = new Map(this.used);
    this.used.clear();
    await this.options.store.touch(batch).catch((error: Error) => {
      this.options.log.warn({ err: { message: error.message } }, 'could not record API key use');
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
