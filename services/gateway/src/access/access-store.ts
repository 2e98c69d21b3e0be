import { randomUUID } from 'node:crypto';
import type { Caller, Scope } from '@assay/kit/auth';
import pg from 'pg';
import { generateApiKey } from './api-key.ts';

export interface ApiKeyRecord {
  id: string;
  prefix: string;
  hash: string;
  tenant: string;
  name: string;
  scopes: Scope[];
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface NewApiKey {
  tenant: string;
  name: string;
  scopes: Scope[];
  expiresAt: Date | null;
}

/** Who did what, when: key changes here; each subgraph keeps its own administration's log. */
export interface AuditAction {
  actor: Caller | { tenant: string; subject: string };
  action: string;
  target: string;
  detail?: Record<string, unknown>;
}

/** How the access store's connections name themselves (pg_stat_activity, fault tests). */
export const ACCESS_APPLICATION_NAME = 'assay-gateway-access';

const COLUMNS = `id, prefix, hash, tenant_id, name, scopes, created_at, created_by, expires_at, revoked_at, last_used_at`;

const DDL = `
create schema if not exists access;
create table if not exists access.api_keys (
  id uuid primary key,
  prefix text not null unique,
  hash text not null,
  tenant_id text not null,
  name text not null,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  created_by text not null,
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);
create index if not exists api_keys_tenant_idx on access.api_keys (tenant_id, created_at desc);
create table if not exists access.audit_log (
  id bigserial primary key,
  tenant_id text not null,
  actor text not null,
  action text not null,
  target text not null,
  detail jsonb not null default '{}',
  at timestamptz not null default now()
);
create index if not exists audit_log_tenant_idx on access.audit_log (tenant_id, at desc);`;

function toRecord(row: Record<string, unknown>): ApiKeyRecord {
  return {
    id: row.id as string,
    prefix: row.prefix as string,
    hash: row.hash as string,
    tenant: row.tenant_id as string,
    name: row.name as string,
    scopes: row.scopes as Scope[],
    createdAt: row.created_at as Date,
    createdBy: row.created_by as string,
    expiresAt: (row.expires_at as Date | null) ?? null,
    revokedAt: (row.revoked_at as Date | null) ?? null,
    lastUsedAt: (row.last_used_at as Date | null) ?? null,
  };
}

/**
 * API keys and the access audit log, in PostgreSQL's `access` schema. Plain parameterised SQL on a
 * small pool: the gateway reads a key per cache miss and writes only when keys change.
 */
export class AccessStore {
  readonly pool: pg.Pool;

  constructor(databaseUrl: string, poolMax = 4) {
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: poolMax,
      connectionTimeoutMillis: 5000,
      application_name: ACCESS_APPLICATION_NAME,
    });
    // An idle client losing its server (PostgreSQL restarted) must not crash the gateway.
    this.pool.on('error', () => undefined);
  }

  /** Creates the schema once; replicas starting together serialise on an advisory lock. */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      await client.query(`select pg_advisory_xact_lock(hashtext('assay.access'))`);
      await client.query(DDL);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Stores a new key's hash and returns the key itself: the only time it exists outside the caller. */
  async create(input: NewApiKey, by: AuditAction['actor']): Promise<{ key: string; record: ApiKeyRecord }> {
    const { key, prefix, hash } = generateApiKey();
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `insert into access.api_keys (id, prefix, hash, tenant_id, name, scopes, created_by, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning ${COLUMNS}`,
        [randomUUID(), prefix, hash, input.tenant, input.name, input.scopes, by.subject, input.expiresAt],
      );
      const record = toRecord(rows[0]!);
      await this.audit(client, {
        actor: by,
        action: 'api_key.created',
        target: record.id,
        detail: { prefix, name: input.name, scopes: input.scopes, tenant: input.tenant },
      });
      await client.query('commit');
      return { key, record };
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async findByPrefix(prefix: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query(`select ${COLUMNS} from access.api_keys where prefix = $1`, [
      prefix,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** A tenant's keys (every tenant's with `tenant` undefined: the operator's command line). */
  async list(tenant?: string): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query(
      `select ${COLUMNS} from access.api_keys where ($1::text is null or tenant_id = $1) order by created_at desc`,
      [tenant ?? null],
    );
    return rows.map(toRecord);
  }

  /** Revokes by id or prefix within `tenant` (any tenant when undefined); null when there is no such key. */
  async revoke(idOrPrefix: string, by: AuditAction['actor'], tenant?: string): Promise<ApiKeyRecord | null> {
    const client = await this.pool.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `update access.api_keys set revoked_at = coalesce(revoked_at, now())
          where (prefix = $1 or id::text = $1) and ($2::text is null or tenant_id = $2)
          returning ${COLUMNS}`,
        [idOrPrefix, tenant ?? null],
      );
      const record = rows[0] ? toRecord(rows[0]) : null;
      if (record) {
        await this.audit(client, {
          actor: by,
          action: 'api_key.revoked',
          target: record.id,
          detail: { prefix: record.prefix, tenant: record.tenant },
        });
      }
      await client.query('commit');
      return record;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Keys that could authenticate someone right now. */
  async countUsable(): Promise<number> {
    const { rows } = await this.pool.query(
      `select count(*)::int as n from access.api_keys where revoked_at is null and (expires_at is null or expires_at > now())`,
    );
    return rows[0].n as number;
  }

  /** One statement for every key used since the last flush (never a write per request). */
  async touch(lastUsed: Map<string, Date>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.pool.query(
      `update access.api_keys k set last_used_at = greatest(k.last_used_at, u.at)
         from unnest($1::uuid[], $2::timestamptz[]) as u(id, at) where k.id = u.id`,
      [[...lastUsed.keys()], [...lastUsed.values()]],
    );
  }

  async auditLog(tenant: string, limit = 100): Promise<Record<string, unknown>[]> {
    const { rows } = await this.pool.query(
      'select actor, action, target, detail, at from access.audit_log where tenant_id = $1 order by at desc limit $2',
      [tenant, limit],
    );
    return rows;
  }

  private async audit(client: pg.PoolClient, entry: AuditAction): Promise<void> {
    await client.query(
      'insert into access.audit_log (tenant_id, actor, action, target, detail) values ($1, $2, $3, $4, $5)',
      [entry.actor.tenant, entry.actor.subject, entry.action, entry.target, entry.detail ?? {}],
    );
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
