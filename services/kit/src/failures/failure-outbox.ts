import { trace } from '@opentelemetry/api';
import type { EntityManager } from '../database/orm.ts';
import { nameUuid } from '../persistence/content-hash.ts';
import { type TenantRef, tenantSql } from '../persistence/tenant-ref.ts';

/**
 * A failure as a producer reports it to the failure catalog. Its id is derived from what it is
 * about (run, attempt, stage, code), so a write replayed from the spool or retried reports it once.
 * Its tenant is given when it is written (see writeFailure): usually the tenant of its run.
 */
export interface FailureReport {
  id: string;
  service: string;
  runId: string | null;
  errorCode: string;
  errorMessage: string | null;
  retryable: boolean;
  /** Where it happened: `run`, `watchdog`, `attempt`, `persona:<id>`, `dead-letter`, … */
  stage: string;
  traceId: string | null;
  context: Record<string, string | number | boolean | null> | null;
  occurredAt: string;
}

/** Longest message kept: a failure explains, it does not carry payloads. */
const MAX_MESSAGE = 2000;

/** A report of a failure happening now, in the active trace (a run's, inside its work). */
export function failureReport(
  fields: Omit<FailureReport, 'id' | 'traceId' | 'occurredAt' | 'context' | 'errorMessage'> & {
    /** What makes it this occurrence and no other (the run's attempt, say). */
    occurrence: string;
    errorMessage?: string | null;
    context?: FailureReport['context'];
  },
): FailureReport {
  const { occurrence, ...rest } = fields;
  return {
    ...rest,
    id: nameUuid(
      `failure:${fields.service}:${fields.runId ?? '-'}:${occurrence}:${fields.stage}:${fields.errorCode}`,
    ),
    errorMessage: fields.errorMessage?.slice(0, MAX_MESSAGE) ?? null,
    context: fields.context ?? null,
    traceId: trace.getActiveSpan()?.spanContext().traceId ?? null,
    occurredAt: new Date().toISOString(),
  };
}

/**
 * The outbox table of a producer's schema: failures written in the same transaction as the state
 * change they explain, which the failure catalog takes (and deletes) in its own transactions. For
 * the producer's migration.
 */
export function failureOutboxSql(schema: string): string {
  return `
    create table "${schema}"."failure_outbox" (
      "id" uuid primary key,
      "tenant_id" text not null,
      "service" text not null,
      "run_id" text null,
      "error_code" text not null,
      "error_message" text null,
      "retryable" boolean not null,
      "stage" text not null,
      "trace_id" text null,
      "context" jsonb null,
      "occurred_at" timestamptz not null,
      "created_at" timestamptz not null default now()
    );
    create index "failure_outbox_created_at_index" on "${schema}"."failure_outbox" ("created_at");`;
}

/** Inside the caller's transaction: the failure goes to the outbox (once, by its id), as `tenant`'s. */
export async function writeFailure(
  em: EntityManager,
  outboxTable: string,
  report: FailureReport,
  tenant: TenantRef,
): Promise<void> {
  const tenantId = tenantSql(tenant);
  await em.execute(
    `insert into ${outboxTable} (id, tenant_id, service, run_id, error_code, error_message, retryable, stage,
       trace_id, context, occurred_at)
     values (?, ${tenantId.sql}, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?) on conflict (id) do nothing`,
    [
      report.id,
      ...tenantId.params,
      report.service,
      report.runId,
      report.errorCode,
      report.errorMessage,
      report.retryable,
      report.stage,
      report.traceId,
      report.context ? JSON.stringify(report.context) : null,
      new Date(report.occurredAt),
    ],
  );
}
