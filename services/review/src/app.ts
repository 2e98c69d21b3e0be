import { buildSubgraph, type ServiceModule } from '@assay/kit';
import { Migration20261122000000 } from './migrations/Migration20261122000000.ts';
import { ReviewRun } from './runs/review-run.entity.ts';
import { reviewRunReference } from './runs/review-run.reference.ts';
import { ReviewRunResolver } from './runs/review-run.resolver.ts';
import { ReviewRunService } from './runs/review-run.service.ts';

/** The review subgraph: multi-persona review of a proposal into a weighted decision. */
export const reviewService: ServiceModule = {
  name: 'review',
  dbSchema: 'review',
  portVariable: 'ASSAY_REVIEW_PORT',
  entities: [ReviewRun],
  migrations: [Migration20261122000000],
  async createApp({ orm }) {
    const runs = new ReviewRunService(orm);
    const schema = await buildSubgraph({
      resolvers: [new ReviewRunResolver(runs)],
      referenceResolvers: reviewRunReference(runs),
    });
    return { schema };
  },
};
