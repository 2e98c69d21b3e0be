// npm run bench -- <name> [options]: runs bench/<name>.ts and prints its figures.
// Benchmarks measure; tests never assert on speed.
import { readdir } from 'node:fs/promises';

const names = (await readdir(import.meta.dirname))
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'stats.ts'].includes(f))
  .map((f) => f.slice(0, -3));
const name = process.argv[2];
if (!name || !names.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${names.join('|')}> [options]\n`);
  process.exit(2);
}
process.argv.splice(2, 1);
await import(`./${name}.ts`);
