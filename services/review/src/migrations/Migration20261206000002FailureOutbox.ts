import { failureOutboxSql } from '@assay/kit';
import { Migration } from '@mikro-orm/migrations';

/** Failures of review runs and personas, written with the state they explain, for the failure catalog. */
export class Migration20261206000002FailureOutbox extends Migration {
  override up(): void {
    this.addSql(failureOutboxSql('review'));
  }
}
