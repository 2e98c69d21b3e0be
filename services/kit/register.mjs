// Loads the repo's TypeScript straight from source: one SWC transform (legacy decorators + metadata,
// which type-graphql and MikroORM need and Node's own type stripping does not do) for `npm start`,
// `npm test`, the scripts and the containers alike. Usage: node --import ./services/kit/register.mjs x.ts
// The hooks run in-thread (module.registerHooks), which costs far less per module than off-thread
// loader hooks. The transform emits Reflect.metadata calls, so the polyfill is loaded here with it.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { transformSync } from '@swc/core';

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

registerHooks({
  load(url, context, nextLoad) {
    if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) {
      return nextLoad(url, context);
    }
    const filename = fileURLToPath(url);
    const { code } = transformSync(readFileSync(filename, 'utf8'), swcOptions(filename));
    return { format: 'module', source: code, shortCircuit: true };
  },
});
