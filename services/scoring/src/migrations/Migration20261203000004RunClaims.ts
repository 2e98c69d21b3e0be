import { Migration } from '@mikro-orm/migrations';

/**
 * What orders a run's transitions (issue 9): `version` counts every applied transition (events
 * carry it, so subscribers order them without clocks); `lease` names the worker's claim and
 * `step_seq` its last step, so a late or replayed step of an older claim, or an older step of this
 * one, never overwrites a newer state; `transition_key` is the key of the last applied transition,
 * which the read-back checks.
 */
export class Migration20261203000004RunClaims extends Migration {
  override up(): void {
    this.addSql(`
      alter table "scoring"."scoring_run"
        add column "version" integer not null default 0,
        add column "lease" uuid null,
        add column "step_seq" integer not null default 0,
        add column "transition_key" text null;
    `);
  }
}
