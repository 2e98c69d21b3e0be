import type { MikroORM } from '@assay/kit';
import { CatalogService } from './catalog/catalog.service.ts';
import { FailureService } from './failures/failure.service.ts';
import { failureMetrics } from './failures/failure-metrics.ts';
import { GroupService } from './groups/group.service.ts';
import { RecoveryService } from './recovery/recovery.service.ts';

/** The failure catalog's services, wired: for the app, the tests and the benches. */
export function createCatalogServices(orm: MikroORM) {
  const metrics = failureMetrics();
  const catalog = new CatalogService(orm);
  const recovery = new RecoveryService(orm, metrics);
  const groups = new GroupService(orm, recovery, metrics);
  const failures = new FailureService(orm, catalog, groups);
  return { metrics, catalog, recovery, groups, failures };
}
