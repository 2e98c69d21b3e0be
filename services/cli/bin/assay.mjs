#!/usr/bin/env node
// The `assay` command. It runs from its TypeScript source through the repo's one transform (the same
// hook `npm start` and `npm test` use), so there is no build step to forget. That hook needs
// Node >= 22.15; started by an older `node` on PATH (outside npm scripts), it hands over to the
// repo's own Node 24 (the `node` devDependency) instead of failing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 15)) {
  const node = fileURLToPath(new URL('../../../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(node)) {
    process.stderr.write(`assay: needs Node >= 22.15 (this is ${process.version}); run npm ci in the repo\n`);
    process.exit(4);
  }
  const child = spawnSync(node, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 5);
}
await import('@assay/kit/register');
const { main } = await import('../src/main.ts');
process.exit(await main(process.argv));
