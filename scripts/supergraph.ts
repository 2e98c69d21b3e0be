import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createOrm,
  loadConfig,
  printSubgraphSdl,
  type ServiceModule,
  SUBGRAPHS,
  type SubgraphName,
} from '@assay/kit';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

export const SCHEMA_DIR = join(import.meta.dirname, '..', 'schema');

async function serviceModule(name: SubgraphName): Promise<ServiceModule> {
  switch (name) {
    case 'scoring':
      return (await import('@assay/scoring')).scoringService;
    case 'review':
      return (await import('@assay/review')).reviewService;
    case 'failure-catalog':
      return (await import('@assay/failure-catalog')).failureCatalogService;
  }
}

/** Builds a subgraph's schema without a database (the ORM never connects) and prints its SDL. */
async function subgraphSdl(name: SubgraphName): Promise<string> {
  const module = await serviceModule(name);
  const orm = await createOrm({
    url: 'postgres://offline@127.0.0.1:1/offline',
    schema: module.dbSchema,
    entities: module.entities,
    migrations: module.migrations,
  });
  const { createLogger, Health, ReliableWriter, Spool } = await import('@assay/kit');
  const log = createLogger(name, 'silent');
  // Never opened nor written: building the schema only registers the service's writes.
  const spool = new Spool(join(tmpdir(), 'assay-schema-offline'), log);
  const app = await module.createApp({
    orm,
    writer: new ReliableWriter({ orm, spool, log }),
    log,
    health: new Health(),
    env: {},
  });
  return printSubgraphSdl(app.schema);
}

export interface Composed {
  subgraphs: Record<SubgraphName, string>;
  supergraph: string;
}

/**
 * Composes the supergraph offline (Federation 2, @theguild/federation-composition). Routing URLs
 * are the local defaults; the gateway overrides them from ASSAY_*_URL at run time.
 */
export async function composeSupergraph(): Promise<Composed> {
  const ports = loadConfig(
    SUBGRAPHS.map((s) => s.portVariable),
    {},
  );
  const subgraphs = {} as Record<SubgraphName, string>;
  for (const { name } of SUBGRAPHS) subgraphs[name] = await subgraphSdl(name);
  const result = composeServices(
    SUBGRAPHS.map(({ name, portVariable }) => ({
      name,
      typeDefs: parse(subgraphs[name]),
      url: `http://127.0.0.1:${ports[portVariable]}/graphql`,
    })),
  );
  if (result.errors) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return { subgraphs, supergraph: `${result.supergraphSdl.trim()}\n` };
}

export async function readCheckedIn(): Promise<Composed> {
  const subgraphs = {} as Record<SubgraphName, string>;
  for (const { name } of SUBGRAPHS) {
    subgraphs[name] = await readFile(join(SCHEMA_DIR, 'subgraphs', `${name}.graphql`), 'utf8').catch(
      () => '',
    );
  }
  const supergraph = await readFile(join(SCHEMA_DIR, 'supergraph.graphql'), 'utf8').catch(() => '');
  return { subgraphs, supergraph };
}
