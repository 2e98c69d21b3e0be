// npm run schema:compose  -> writes schema/subgraphs/*.graphql and schema/supergraph.graphql
// npm run schema:check    -> exits 1 if any checked-in file differs from what the code produces
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { composeSupergraph, readCheckedIn, SCHEMA_DIR } from './supergraph.ts';

const check = process.argv.includes('--check');
const fresh = await composeSupergraph();

if (check) {
  const current = await readCheckedIn();
  const stale = [
    ...Object.entries(fresh.subgraphs)
      .filter(([name, sdl]) => current.subgraphs[name as keyof typeof current.subgraphs] !== sdl)
      .map(([name]) => `schema/subgraphs/${name}.graphql`),
    ...(current.supergraph === fresh.supergraph ? [] : ['schema/supergraph.graphql']),
  ];
  if (stale.length > 0) {
    console.error(`stale schema files (run npm run schema:compose): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log('schema files are up to date');
} else {
  await mkdir(join(SCHEMA_DIR, 'subgraphs'), { recursive: true });
  for (const [name, sdl] of Object.entries(fresh.subgraphs)) {
    await writeFile(join(SCHEMA_DIR, 'subgraphs', `${name}.graphql`), sdl);
  }
  await writeFile(join(SCHEMA_DIR, 'supergraph.graphql'), fresh.supergraph);
  console.log('wrote schema/subgraphs/*.graphql and schema/supergraph.graphql');
}
