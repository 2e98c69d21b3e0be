// The three services by name, for scripts that act on one of them.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type App, PgPubSub, ReliableWriter, type ServiceModule } from '@assay/kit';
import { createLogger, createOrm, Health, Spool, type SubgraphName } from '@assay/kit/operations';

export async function serviceModule(name: SubgraphName): Promise<ServiceModule> {
  switch (name) {
    case 'scoring':
      return (await import('@assay/scoring')).scoringService;
    case 'review':
      return (await import('@assay/review')).reviewService;
    case 'failure-catalog':
      return (await import('@assay/failure-catalog')).failureCatalogService;
  }
}

/**
 * Builds a service's app without a database (the ORM never connects, the spool is never opened):
 * enough to print its schema or learn which writes it registers.
 */
export async function buildOffline(name: SubgraphName): Promise<{ app: App; writer: ReliableWriter }> {
  const module = await serviceModule(name);
  const url = 'postgres://offline@127.0.0.1:1/offline';
  const orm = await createOrm({
    url,
    schema: module.dbSchema,
    entities: module.entities,
    migrations: module.migrations,
  });
  const log = createLogger(name, 'silent');
  const writer = new ReliableWriter({ orm, spool: new Spool(join(tmpdir(), 'assay-offline'), log), log });
  const pubSub = new PgPubSub({ connectionString: url, log }); // never used, so never connects
  const app = await module.createApp({ orm, writer, log, health: new Health(), env: {}, pubSub });
  return { app, writer };
}
