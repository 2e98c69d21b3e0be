import { buildSubgraph, loadConfig, type ServiceModule } from '@assay/kit';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import { ScoringRun } from './runs/run.entity.ts';
import { runReference } from './runs/run.reference.ts';
import { RunResolver } from './runs/run.resolver.ts';
import { RunService } from './runs/run.service.ts';

/** The scoring subgraph: scores pull-request diffs. */
export const scoringService: ServiceModule = {
  name: 'scoring',
  dbSchema: 'scoring',
  portVariable: 'ASSAY_SCORING_PORT',
  entities: [ScoringRun],
  migrations: [Migration20261122000000],
  async createApp({ orm, env }) {
    const config = loadConfig(['ASSAY_MAX_DIFF_BYTES'], env);
    const runs = new RunService(orm, { maxDiffBytes: config.ASSAY_MAX_DIFF_BYTES });
    const schema = await buildSubgraph({
      resolvers: [new RunResolver(runs)],
      referenceResolvers: runReference(runs),
    });
    return { schema };
  },
};
