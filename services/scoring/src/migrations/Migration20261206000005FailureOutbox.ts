import { failureOutboxSql } from '@assay/kit';
import { Migration } from '@mikro-orm/migrations';

/** Failures of scoring runs, written with the transition they explain, for the failure catalog. */
export class Migration20261206000005FailureOutbox extends Migration {
  override up(): void {
    this.addSql(failureOutboxSql('scoring'));
  }
}
