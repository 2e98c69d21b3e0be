import { buildSubgraph, loadConfig, type ServiceModule } from '@assay/kit';
import { CatalogResolver } from './catalog/catalog.resolver.ts';
import { CatalogService } from './catalog/catalog.service.ts';
import { CatalogEntry } from './catalog/catalog-entry.entity.ts';
import { loadDefaultCatalog } from './catalog/default-catalog.ts';
import { FailureResolver } from './failures/failure.resolver.ts';
import { FailureService } from './failures/failure.service.ts';
import { FailureMatch } from './failures/failure-match.entity.ts';
import { FailureGroup } from './groups/failure-group.entity.ts';
import { FailureGroupFieldResolver, GroupResolver } from './groups/group.resolver.ts';
import { GroupService } from './groups/group.service.ts';
import { OutboxIntake } from './intake/outbox-intake.ts';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import { Migration20261206000001Matching } from './migrations/Migration20261206000001Matching.ts';
import { Migration20261206000002Groups } from './migrations/Migration20261206000002Groups.ts';
import {
  ReviewRunFailuresResolver,
  ReviewRunRef,
  ScoringRunFailuresResolver,
  ScoringRunRef,
} from './runs/run-failures.resolver.ts';

/** The schemas of the services whose failure outboxes the catalog takes. */
const PRODUCERS = ['scoring', 'review'];

/** The failure-catalog subgraph: every failure matched to a catalog of known failures. */
export const failureCatalogService: ServiceModule = {
  name: 'failure-catalog',
  dbSchema: 'failure_catalog',
  portVariable: 'ASSAY_FAILURE_CATALOG_PORT',
  entities: [CatalogEntry, FailureMatch, FailureGroup],
  migrations: [Migration20261122000000, Migration20261206000001Matching, Migration20261206000002Groups],
  async createApp({ orm, env, log }) {
    const config = loadConfig(['ASSAY_FAILURE_INTAKE_INTERVAL_MS'], env);
    const catalog = new CatalogService(orm);
    const groups = new GroupService(orm);
    const failures = new FailureService(orm, catalog, groups);
    const defaults = loadDefaultCatalog();
    const intake = new OutboxIntake({
      orm,
      failures,
      log,
      producers: PRODUCERS,
      intervalMs: config.ASSAY_FAILURE_INTAKE_INTERVAL_MS,
    });
    const schema = await buildSubgraph({
      resolvers: [
        new FailureResolver(failures, catalog),
        new CatalogResolver(catalog, failures),
        new GroupResolver(groups),
        new FailureGroupFieldResolver(groups),
        new ScoringRunFailuresResolver(failures),
        new ReviewRunFailuresResolver(failures),
      ],
      // Reached only through entity references, never from a root field of this subgraph.
      orphanedTypes: [ScoringRunRef, ReviewRunRef],
    });
    return {
      schema,
      async start() {
        await catalog.load(defaults);
        intake.start();
      },
      stop: () => intake.stop(),
    };
  },
};
