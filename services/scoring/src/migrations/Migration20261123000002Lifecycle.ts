import { Migration } from '@mikro-orm/migrations';

/** Heartbeats and errors on runs; scores, one per run, with their content hash and verification. */
export class Migration20261123000002Lifecycle extends Migration {
  override up(): void {
    this.addSql(`
      alter table "scoring"."scoring_run"
        add column "heartbeat_at" timestamptz null,
        add column "error_code" text null,
        add column "error_message" text null,
        add column "error_retryable" boolean null,
        add column "content_hash" text null;
      -- The watchdog's scan: live runs by heartbeat.
      create index "scoring_run_live_heartbeat_index" on "scoring"."scoring_run" ("heartbeat_at")
        where "status" in ('QUEUED','RUNNING','SCORING');
      create table "scoring"."score" (
        "id" uuid primary key,
        "run_id" uuid not null unique references "scoring"."scoring_run" ("id"),
        "value" double precision not null check ("value" between 0 and 10),
        "band" text not null,
        "criteria" jsonb not null,
        "violations" jsonb not null,
        "scorer_version" text not null,
        "content_hash" text not null,
        "verified_at" timestamptz null,
        "created_at" timestamptz not null
      );
    `);
  }
}
