import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '@assay/kit';
import { printSubgraphSdl, SUBGRAPHS, type SubgraphName } from '@assay/kit/operations';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { buildOffline } from './services.ts';

export const SCHEMA_DIR = join(import.meta.dirname, '..', 'schema');

/** A subgraph's SDL, from its schema built without a database. */
async function subgraphSdl(name: SubgraphName): Promise<string> {
  return printSubgraphSdl((await buildOffline(name)).app.schema);
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
