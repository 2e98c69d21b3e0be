import { buildSubgraph, type ServiceModule } from '@assay/kit';
import { CatalogResolver } from './catalog/catalog.resolver.ts';
import { CatalogService } from './catalog/catalog.service.ts';
import { CatalogEntry } from './catalog/catalog-entry.entity.ts';
import { FailureResolver } from './failures/failure.resolver.ts';
import { FailureService } from './failures/failure.service.ts';
import { FailureMatch } from './failures/failure-match.entity.ts';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import {
  ReviewRunFailuresResolver,
  ReviewRunRef,
  ScoringRunFailuresResolver,
  ScoringRunRef,
} from './runs/run-failures.resolver.ts';

/** The failure-catalog subgraph: every failure matched to a catalog of known failures. */
export const failureCatalogService: ServiceModule = {
  name: 'failure-catalog',
  dbSchema: 'failure_catalog',
  portVariable: 'ASSAY_FAILURE_CATALOG_PORT',
  entities: [CatalogEntry, FailureMatch],
  migrations: [Migration20261122000000],
  async createApp({ orm }) {
    const catalog = new CatalogService(orm);
    const failures = new FailureService(orm, catalog);
    const schema = await buildSubgraph({
      resolvers: [
        new FailureResolver(failures, catalog),
        new CatalogResolver(catalog),
        new ScoringRunFailuresResolver(failures),
        new ReviewRunFailuresResolver(failures),
      ],
      // Reached only through entity references, never from a root field of this subgraph.
      orphanedTypes: [ScoringRunRef, ReviewRunRef],
    });
    return { schema };
  },
};
