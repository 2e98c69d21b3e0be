// Loads the repo's TypeScript straight from source: one SWC transform (legacy decorators + metadata,
// which type-graphql and MikroORM need and Node's own type stripping does not do) for `npm start`,
// `npm test`, the scripts and the containers alike. Usage: node --import ./services/kit/register.mjs x.ts
// The transform emits Reflect.metadata calls, so the polyfill is loaded here with it.
import 'reflect-metadata';
import { register } from 'node:module';

register('./swc-loader.mjs', import.meta.url);
