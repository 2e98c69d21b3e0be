import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from './exit-codes.ts';

export interface CliConfig {
  /** The gateway's GraphQL endpoint. */
  url: string;
  json: boolean;
}

export interface GlobalOptions {
  url?: string;
  json?: boolean;
  config?: string;
}

export const DEFAULT_URL = 'http://127.0.0.1:4000/graphql';

/**
 * Flags win over the environment (`ASSAY_URL`), which wins over a config file: `--config F`,
 * `ASSAY_CONFIG`, or `assay.config.json` in the working directory, e.g. `{"url": "https://…/graphql"}`.
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
  return { url, json: options.json ?? false };
}

function readConfigFile(path: string): { url?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read the config file ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`the config file ${path} must hold a JSON object such as {"url": "…"}`);
  }
  const { url } = parsed as { url?: unknown };
  if (url !== undefined && typeof url !== 'string') throw new UsageError(`"url" in ${path} must be a string`);
  return { url };
}
