// Loads the repo's TypeScript straight from source: one SWC transform (legacy decorators + metadata,
// which type-graphql and MikroORM need and Node's own type stripping does not do) for `npm start`,
// `npm test`, the scripts, the `assay` command and the containers alike.
// Usage: node --import ./services/kit/register.mjs x.ts
// The hooks run in-thread (module.registerHooks), which costs far less per module than off-thread
// loader hooks. The transform emits Reflect.metadata calls, so the polyfill is loaded here with it.
// Transformed files are cached by content under node_modules/.cache/assay-swc: a process whose files
// are all cached never loads SWC's native binding (~35 ms of every start-up, `assay --help` included).
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const swcVersion = JSON.parse(readFileSync(require.resolve('@swc/core/package.json'), 'utf8')).version;
const CACHE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'node_modules',
  '.cache',
  'assay-swc',
);

const swcOptions = (filename) => ({
  filename,
  sourceMaps: 'inline',
  module: { type: 'es6' },
  jsc: {
    target: 'es2023',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
});
// Any change to the options or the SWC version gives every file a new key.
const OPTIONS_KEY = `${swcVersion}\n${JSON.stringify(swcOptions(''))}`;

let swc; // loaded on the first file not in the cache

function transform(filename) {
  const source = readFileSync(filename, 'utf8');
  // The file name is part of the key: the inline source map names it.
  const key = createHash('sha256')
    .update(OPTIONS_KEY)
    .update(filename)
    .update('\0')
    .update(source)
    .digest('hex');
  const cached = join(CACHE, `${key}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {}
  swc ??= require('@swc/core');
  const { code } = swc.transformSync(source, swcOptions(filename));
  try {
    // Written aside and renamed: processes starting side by side (the test runner) never read half a file.
    mkdirSync(CACHE, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, cached);
  } catch {} // a read-only checkout still runs, uncached
  return code;
}

registerHooks({
  load(url, context, nextLoad) {
    if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) {
      return nextLoad(url, context);
    }
    return { format: 'module', source: transform(fileURLToPath(url)), shortCircuit: true };
  },
});
