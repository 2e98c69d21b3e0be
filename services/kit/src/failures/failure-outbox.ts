import { trace } from '@opentelemetry/api';
import type { EntityManager } from '../database/orm.ts';
import { contentHash, nameUuid } from '../persistence/content-hash.ts';
import type { WriteDefinition } from '../persistence/reliable-writer.ts';

/**
 * A failure as a producer reports it to the failure catalog. Its id is derived from what it is
 * about (run, attempt, stage, code), so a write replayed from the spool or retried reports it once.
 */
export interface FailureReport {
  id: string;
  tenantId: string;
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
  fields: Omit<FailureReport, 'id' | 'tenantId' | 'traceId' | 'occurredAt' | 'context' | 'errorMessage'> & {
    /** What makes it this occurrence and no other (the run's attempt, say). */
    occurrence: string;
    errorMessage?: string | null;
    context?: FailureReport['context'];
    tenantId?: string;
  },
): FailureReport {
  const { occurrence, ...rest } = fields;
  return {
    ...rest,
    id: nameUuid(
      `failure:${fields.service}:${fields.runId ?? '-'}:${occurrence}:${fields.stage}:${fields.errorCode}`,
    ),
    tenantId: fields.tenantId ?? 'default',
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

/** Inside the caller's transaction: the failure goes to the outbox (once, by its id). */
export async function writeFailure(
  em: EntityManager,
  outboxTable: string,
  report: FailureReport,
): Promise<void> {
  await em.execute(
    `insert into ${outboxTable} (id, tenant_id, service, run_id, error_code, error_message, retryable, stage,
       trace_id, context, occurred_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?) on conflict (id) do nothing`,
    [
      report.id,
      report.tenantId,
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

/**
 * The one call for a failure that goes with no other write (a producer's own stage): reported
 * through the reliable write path, so it is spooled when the database is away.
 */
export function failureWriteFor(
  service: string,
  outboxTable: string,
): WriteDefinition<FailureReport, { id: string }> {
  return {
    name: `${service}.failure.report`,
    key: (p) => p.id,
    content: (p) => ({ id: p.id, errorCode: p.errorCode }),
    async write(em, p) {
      await writeFailure(em, outboxTable, p);
    },
    async readBack(em, p) {
      // Once the catalog has taken it, the outbox no longer holds it: that is delivered, not lost.
      const rows = await em.execute<{ id: string; error_code: string }[]>(
        `select id, error_code from ${outboxTable} where id = ?`,
        [p.id],
      );
      const content = rows[0]
        ? { id: rows[0].id, errorCode: rows[0].error_code }
        : { id: p.id, errorCode: p.errorCode };
      return { result: { id: p.id }, content, hash: contentHash(content) };
    },
  };
}
