import { buildSubgraph, loadConfig, type ServiceModule } from '@assay/kit';
import { CatalogResolver } from './catalog/catalog.resolver.ts';
import { CatalogEntry } from './catalog/catalog-entry.entity.ts';
import { loadDefaultCatalog } from './catalog/default-catalog.ts';
import { createCatalogServices } from './catalog-services.ts';
import { failureReference } from './failures/failure.reference.ts';
import { FailureResolver } from './failures/failure.resolver.ts';
import { createFailureFeedResolver } from './failures/failure-feed.ts';
import { FailureMatch } from './failures/failure-match.entity.ts';
import { FailureGroup } from './groups/failure-group.entity.ts';
import { groupReference } from './groups/group.reference.ts';
import { FailureGroupFieldResolver, GroupResolver } from './groups/group.resolver.ts';
import { OutboxIntake, type Producer } from './intake/outbox-intake.ts';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import { Migration20261206000001Matching } from './migrations/Migration20261206000001Matching.ts';
import { Migration20261206000002Groups } from './migrations/Migration20261206000002Groups.ts';
import { Migration20261206000003Recovery } from './migrations/Migration20261206000003Recovery.ts';
import { Migration20261206000004RecoveryWindow } from './migrations/Migration20261206000004RecoveryWindow.ts';
import { Migration20261207000005SharedCatalog } from './migrations/Migration20261207000005SharedCatalog.ts';
import { RecoveryResolver } from './recovery/recovery.resolver.ts';
import { RecoveryChange } from './recovery/recovery-change.entity.ts';
import {
  ReviewRunFailuresResolver,
  ReviewRunRef,
  ScoringRunFailuresResolver,
  ScoringRunRef,
} from './runs/run-failures.resolver.ts';

/** The services whose failure outboxes the catalog takes, and how their runs say they succeeded. */
const PRODUCERS: readonly Producer[] = [
  { schema: 'scoring', service: 'scoring', runTable: '"scoring"."scoring_run"', succeeded: 'DONE' },
  { schema: 'review', service: 'review', runTable: '"review"."review_run"', succeeded: 'COMPLETED' },
];

/** The failure-catalog subgraph: every failure matched to a catalog of known failures. */
export const failureCatalogService: ServiceModule = {
  name: 'failure-catalog',
  dbSchema: 'failure_catalog',
  portVariable: 'ASSAY_FAILURE_CATALOG_PORT',
  entities: [CatalogEntry, FailureMatch, FailureGroup, RecoveryChange],
  migrations: [
    Migration20261122000000,
    Migration20261206000001Matching,
    Migration20261206000002Groups,
    Migration20261206000003Recovery,
    Migration20261206000004RecoveryWindow,
    Migration20261207000005SharedCatalog,
  ],
  async createApp({ orm, env, log, pubSub, health }) {
    const config = loadConfig(['ASSAY_FAILURE_INTAKE_INTERVAL_MS'], env);
    const { metrics, catalog, recovery, groups, failures } = createCatalogServices(orm);
    const defaults = loadDefaultCatalog();
    const intake = new OutboxIntake({
      orm,
      failures,
      recovery,
      metrics,
      pubSub,
      log,
      producers: PRODUCERS,
      intervalMs: config.ASSAY_FAILURE_INTAKE_INTERVAL_MS,
    });
    // Informational: a deep outbox is the producers' failures waiting, not this process unready.
    health.register('outbox', () => ({ ok: true, detail: Object.fromEntries(intake.depths) }));
    const schema = await buildSubgraph({
      resolvers: [
        new FailureResolver(failures, catalog),
        new CatalogResolver(catalog, failures),
        new GroupResolver(groups, failures, catalog),
        new RecoveryResolver(recovery),
        createFailureFeedResolver({ pubSub, failures }),
        new FailureGroupFieldResolver(groups),
        new ScoringRunFailuresResolver(failures),
        new ReviewRunFailuresResolver(failures),
      ],
      referenceResolvers: { ...failureReference(failures), ...groupReference(groups) },
      // Reached only through entity references, never from a root field of this subgraph.
      orphanedTypes: [ScoringRunRef, ReviewRunRef],
      pubSub,
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
