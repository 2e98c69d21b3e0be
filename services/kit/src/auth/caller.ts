/** Who is asking: the tenant every read and write is scoped by, what they may do, and who they are. */
export interface Caller {
  tenant: string;
  scopes: Scope[];
  /** The API key's prefix (`key:…`) or the JWT's subject (`jwt:…`): audit logs and rate limits use it. */
  subject: string;
}

export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** `admin` implies `write`, which implies `read`: a CI key with `write` can also follow its runs. */
const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 };

export function hasScope(caller: Pick<Caller, 'scopes'>, needed: Scope): boolean {
  return caller.scopes.some((s) => RANK[s] >= RANK[needed]);
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Tenant ids are short, printable identifiers: they end up in topics, logs and SQL parameters. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The tenant of `npm start`'s development key, and where data no one can be named for goes (a
 * spooled write whose definition no longer exists).
 */
export const DEFAULT_TENANT = 'default';
