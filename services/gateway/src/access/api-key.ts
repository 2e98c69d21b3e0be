import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys: `assay_<prefix>_<secret>`. The prefix (12 hex) finds the row and names the key in
 * listings; the secret is 256 random bits. Only SHA-256 of the whole key is stored: a key that
 * leaks from a database dump cannot be used, and a key this strong needs no slow hash.
 */
const KEY_PATTERN = /^assay_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewKey {
  key: string;
  prefix: string;
  hash: string;
}

export function generateApiKey(): NewKey {
  const prefix = randomBytes(6).toString('hex');
  const key = `assay_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: hashKey(key) };
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The prefix of a well-formed key, or null. */
export function keyPrefix(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith('assay_');
}

export function hashMatches(key: string, storedHash: string): boolean {
  const given = Buffer.from(hashKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
