import { Migration } from '@mikro-orm/migrations';

/**
 * The review pipeline (issue 11): review runs get the kit's run lifecycle columns (status now
 * `QUEUED RUNNING COMPLETED FAILED CANCELLED`), the model's parameters, the persona set and the
 * decision copied for listing; each run's proposal, persona reviews and decision get a table.
 * Runs stored before this never ran: they are given a heartbeat, so the watchdog queues them.
 */
export class Migration20261206000001Pipeline extends Migration {
  override up(): void {
    this.addSql(`
      alter table "review"."review_run"
        drop constraint if exists "review_run_status_check",
        add column "attempt" integer not null default 0,
        add column "progress_step" text null,
        add column "started_at" timestamptz null,
        add column "finished_at" timestamptz null,
        add column "heartbeat_at" timestamptz null,
        add column "version" integer not null default 0,
        add column "lease" uuid null,
        add column "step_seq" integer not null default 0,
        add column "transition_key" text null,
        add column "error_code" text null,
        add column "error_message" text null,
        add column "error_retryable" boolean null,
        add column "edit_notes" text null,
        add column "addressed_issues" jsonb null,
        add column "temperature" double precision null,
        add column "persona_set_version" text not null default 'unknown',
        add column "content_hash" text null,
        add column "decision_label" text null check ("decision_label" in ('APPROVE','REVISE','REJECT')),
        add column "overall_confidence" double precision null;
      alter table "review"."review_run" add constraint "review_run_status_check"
        check ("status" in ('QUEUED','RUNNING','COMPLETED','FAILED','CANCELLED'));
      update "review"."review_run" set "heartbeat_at" = "updated_at" where "heartbeat_at" is null;
      create index "review_run_live_heartbeat_index" on "review"."review_run" ("heartbeat_at")
        where "status" in ('QUEUED', 'RUNNING');

      create table "review"."proposal_version" (
        "id" uuid primary key,
        "run_id" uuid not null references "review"."review_run" ("id"),
        "version" integer not null,
        "proposal" jsonb not null,
        "diff" jsonb null,
        "edit_notes" text null,
        "persona_set_version" text not null,
        "content_hash" text not null,
        "created_at" timestamptz not null,
        constraint "proposal_version_run_id_unique" unique ("run_id")
      );
      create table "review"."persona_review" (
        "id" uuid primary key,
        "run_id" uuid not null references "review"."review_run" ("id"),
        "persona_id" text not null,
        "persona_name" text not null,
        "weight" double precision not null,
        "confidence" double precision not null check ("confidence" between 0 and 1),
        "verdict" text not null,
        "summary" text not null,
        "blocking_issues" jsonb not null,
        "security_concerns" jsonb not null,
        "security_blocking" boolean not null,
        "suggestions" jsonb not null,
        "prompt_parameters" jsonb not null,
        "attempt_count" integer not null,
        "latency_ms" integer null,
        "input_tokens" integer not null,
        "output_tokens" integer not null,
        "model" text not null,
        "error_code" text null,
        "error_message" text null,
        "error_retryable" boolean null,
        "content_hash" text not null,
        "created_at" timestamptz not null,
        constraint "persona_review_run_id_persona_id_unique" unique ("run_id", "persona_id")
      );
      create table "review"."decision" (
        "id" uuid primary key,
        "run_id" uuid not null references "review"."review_run" ("id"),
        "label" text not null check ("label" in ('APPROVE','REVISE','REJECT')),
        "overall_weighted_confidence" double precision not null,
        "rationale" text not null,
        "dissent" jsonb not null,
        "partial" boolean not null,
        "missing_personas" jsonb not null,
        "delta" jsonb null,
        "content_hash" text not null,
        "created_at" timestamptz not null,
        constraint "decision_run_id_unique" unique ("run_id")
      );
    `);
  }
}
