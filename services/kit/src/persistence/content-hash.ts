import { createHash } from 'node:crypto';

/**
 * Canonical JSON: object keys sorted, dates as ISO strings, `undefined` members dropped — so the
 * same content hashes the same whether it comes from a payload or is read back from PostgreSQL
 * (JSONB reorders keys).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value));
}

function normalise(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, normalise((value as Record<string, unknown>)[k])]),
    );
  }
  if (typeof value === 'number' && !Number.isFinite(value))
    throw new TypeError('cannot hash a non-finite number');
  return value;
}

/** SHA-256 of the canonical JSON, hex. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * A UUID (version 8, name-based) from a name: the same name always gives the same id, so a record
 * identified by a client's key (an idempotency key, a job's run and attempt) has one id wherever
 * and however often it is created, spooled or not.
 */
export function nameUuid(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
