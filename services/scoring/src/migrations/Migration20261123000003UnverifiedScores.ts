import { Migration } from '@mikro-orm/migrations';

/** The watchdog's repair scan and `unpersistedScores`: scores not yet marked verified, oldest first. */
export class Migration20261123000003UnverifiedScores extends Migration {
  override up(): void {
    this.addSql(`
      create index "score_unverified_index" on "scoring"."score" ("created_at") where "verified_at" is null;
    `);
  }
}
