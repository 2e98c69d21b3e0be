import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApiKey } from './client/credentials.ts';
import { UsageError } from './exit-codes.ts';

export interface CliConfig {
  /** The gateway's GraphQL endpoint. */
  url: string;
  json: boolean;
  /** The API key sent as `Authorization: Bearer …` (and in graphql-ws `connection_init`); none found: undefined. */
  apiKey?: ApiKey;
  /** `<ASSAY_DATA_DIR or ./.assay>/dev-api-key`, absolute: looked at last, named in messages about keys. */
  devKeyFile: string;
}

export interface GlobalOptions {
  url?: string;
  json?: boolean;
  config?: string;
  apiKey?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

/** Where `npm start` on this machine keeps its development key (the same rule as the supervisor's). */
export function devKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(resolve(env.ASSAY_DATA_DIR || '.assay'), 'dev-api-key');
}

/**
 * Flags win over the environment (`ASSAY_URL`, `ASSAY_API_KEY`), which wins over a config file:
 * `--config F`, `ASSAY_CONFIG`, or `assay.config.json` in the working directory, e.g.
 * `{"url": "https://…/graphql", "apiKey": "assay_…"}`. With no key from any of them, the development
 * key `npm start` wrote to `<ASSAY_DATA_DIR or ./.assay>/dev-api-key` is used when that file exists.
 */
export function resolveConfig(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): CliConfig {
  const file =
    options.config ?? env.ASSAY_CONFIG ?? (existsSync('assay.config.json') ? 'assay.config.json' : null);
  const fromFile = file ? readConfigFile(file) : {};
  const url = options.url ?? env.ASSAY_URL ?? fromFile.url ?? DEFAULT_URL;
  try {
    const parsed = new URL(url);
    if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error('not http(s)');
  } catch {
    throw new UsageError(`the Assay URL must be an http(s) URL, got "${url}"`);
  }
  const devKey = devKeyFile(env);
  return {
    url,
    json: options.json ?? false,
    apiKey: resolveApiKey(options, env, file, fromFile, devKey),
    devKeyFile: devKey,
  };
}

function resolveApiKey(
  options: GlobalOptions,
  env: NodeJS.ProcessEnv,
  file: string | null,
  fromFile: { apiKey?: string },
  devKey: string,
): ApiKey | undefined {
  if (options.apiKey !== undefined) return checked(options.apiKey, '--api-key');
  // An empty variable is an unset one (`ASSAY_API_KEY= assay …`), as shells and CI systems use it.
  if (env.ASSAY_API_KEY?.trim()) return checked(env.ASSAY_API_KEY, 'ASSAY_API_KEY');
  if (fromFile.apiKey !== undefined) return checked(fromFile.apiKey, `"apiKey" in ${file}`);
  if (!existsSync(devKey)) return undefined;
  let text: string;
  try {
    text = readFileSync(devKey, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read the development key ${devKey}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
    );
  }
  return text.trim() ? checked(text, devKey) : undefined;
}

/** One token of visible ASCII: anything else cannot go in a header, and the error saying so would quote it. */
function checked(value: string, source: string): ApiKey {
  const key = value.trim();
  if (key === '') throw new UsageError(`the API key from ${source} is empty`);
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new UsageError(
      `the API key from ${source} is malformed (spaces or characters outside visible ASCII); Assay keys look like assay_<12 hex>_<43 characters>`,
    );
  }
  return new ApiKey(key, source);
}

function readConfigFile(path: string): { url?: string; apiKey?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    // Not the parser's message: it quotes the text around the error, which may be the key.
    const where = /line \d+ column \d+/.exec((error as Error).message)?.[0];
    const reason =
      error instanceof SyntaxError
        ? `not valid JSON${where ? ` (${where})` : ''}`
        : ((error as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new UsageError(`cannot read the config file ${path}: ${reason}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${path} must hold a JSON object such as {"url": "…"}`);
  }
  const { url, apiKey } = parsed as { url?: unknown; apiKey?: unknown };
  if (url !== undefined && typeof url !== 'string') throw new UsageError(`"url" in ${path} must be a string`);
  if (apiKey !== undefined && typeof apiKey !== 'string')
    throw new UsageError(`"apiKey" in ${path} must be a string`);
  return { url, apiKey };
}
