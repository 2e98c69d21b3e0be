import { inspect } from 'node:util';
import { CliError, EXIT } from '../exit-codes.ts';

/**
 * The API key the CLI authenticates with, and where it came from. The value is private and never
 * serialised: `JSON.stringify`, `console.log` and error messages see only where it came from.
 */
export class ApiKey {
  readonly #value: string;

  constructor(
    value: string,
    /** Where it was found, for messages: `--api-key`, `ASSAY_API_KEY`, `"apiKey" in F`, a file path. */
    readonly source: string,
  ) {
    this.#value = value;
  }

  /** The `Authorization` header value (HTTP) and the `authorization` connection_init field (graphql-ws). */
  bearer(): string {
    return `Bearer ${this.#value}`;
  }

  /** Replaces the key wherever it occurs in `text` (a server message, a stack), should it ever echo it. */
  redact(text: string): string {
    return text.split(this.#value).join('[api key]');
  }

  toJSON(): string {
    return `[api key from ${this.source}]`;
  }

  toString(): string {
    return this.toJSON();
  }

  [inspect.custom](): string {
    return this.toJSON();
  }
}

/** Anything shaped like an Assay API key, for redacting text that may hold a key other than ours. */
const KEY_PATTERN = /assay_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/g;

export function redactKeys(text: string, key?: ApiKey): string {
  return (key ? key.redact(text) : text).replace(KEY_PATTERN, '[api key]');
}

/** What the CLI needs to know to authenticate and to say how to fix a refused key. */
export interface Credentials {
  url: string;
  apiKey?: ApiKey;
  /** `<ASSAY_DATA_DIR or ./.assay>/dev-api-key`, absolute: where `npm start` writes its development key. */
  devKeyFile: string;
}

/** How to supply a key, for every message about a missing or refused one. */
export function howToSupplyKey(devKeyFile: string): string {
  return `pass --api-key KEY, set ASSAY_API_KEY, put "apiKey" in the config file, or (locally) run npm start, which writes ${devKeyFile}`;
}

/** The gateway refused the request's credential (401, UNAUTHENTICATED) or its scope (403, FORBIDDEN): exit 4. */
export class AuthError extends CliError {
  constructor(
    message: string,
    readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN',
  ) {
    super(message, EXIT.USAGE);
  }
}

/** A 401 or a graphql-ws close 4403: no key, or one the gateway does not accept. */
export function unauthenticated(credentials: Credentials, serverReason?: string): AuthError {
  const { url, apiKey, devKeyFile } = credentials;
  const reason = serverReason ? ` (${redactKeys(serverReason, apiKey).replace(/\s+/g, ' ').trim()})` : '';
  const what = apiKey
    ? `Assay at ${url} refused the API key from ${apiKey.source}${reason}`
    : `Assay at ${url} needs an API key and none was found${reason}`;
  return new AuthError(`${what}: ${howToSupplyKey(devKeyFile)}`, 'UNAUTHENTICATED');
}

/** A 403: the key is valid but lacks a scope; the server's message names it (`needs the "write" scope`). */
export function forbidden(credentials: Credentials, serverReason: string): AuthError {
  const scope = /"(\w+)" scope/.exec(serverReason)?.[1];
  const source = credentials.apiKey ? `the API key from ${credentials.apiKey.source}` : 'the credential';
  const message = scope
    ? `${source} lacks the "${scope}" scope this command needs: use a key with the "${scope}" scope (--api-key KEY or ASSAY_API_KEY)`
    : `${source} is not allowed to do this (${redactKeys(serverReason, credentials.apiKey)}): use a key with the needed scope`;
  return new AuthError(message, 'FORBIDDEN');
}
