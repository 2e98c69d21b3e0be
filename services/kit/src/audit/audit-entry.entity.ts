import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { Caller } from '../auth/caller.ts';

/**
 * Who changed what administration, when: every service schema has this table (the kit's migration
 * adds it); the gateway keeps key changes in `access.audit_log` with the same columns.
 */
@Entity({ tableName: 'audit_log' })
@Index({ properties: ['tenantId', 'at'] })
export class AuditEntry {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  tenantId!: string;

  /** The caller's subject: `key:<prefix>` or `jwt:<sub>`. */
  @Property({ type: 'text' })
  actor!: string;

  /** e.g. `dead_letter.resolved`, `failure.recovery_changed`, `catalog.entry_upserted`. */
  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  target!: string;

  @Property({ type: 'json' })
  detail: Record<string, unknown> = {};

  @Property({ type: 'timestamptz' })
  at: Date = new Date();
}

/**
 * Adds an audit row to `em`'s unit of work: flushed in the same transaction as the change it
 * describes, so an action is never recorded without happening or the other way round.
 */
export function recordAudit(
  em: EntityManager,
  caller: Caller,
  action: string,
  target: string,
  detail: Record<string, unknown> = {},
): void {
  em.persist(
    Object.assign(new AuditEntry(), {
      tenantId: caller.tenant,
      actor: caller.subject,
      action,
      target,
      detail,
    }),
  );
}
