import { CliError, EXIT, UnreachableError } from '../exit-codes.ts';
import type { TypedDocumentString } from '../generated/graphql.ts';
import { type ApiKey, type Credentials, forbidden, redactKeys, unauthenticated } from './credentials.ts';

/** Codes that mean the request itself was wrong: the caller's mistake, exit 4. */
const INPUT_CODES = new Set([
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
]);

export interface GraphQLErrorShape {
  message: string;
  extensions?: { code?: string };
}

/** The API answered with errors: input errors exit 4, anything on Assay's side 5. */
export class GraphQLRequestError extends CliError {
  readonly code: string;
  constructor(readonly errors: GraphQLErrorShape[]) {
    const code = errors[0]?.extensions?.code ?? 'UNKNOWN';
    super(
      errors.map((e) => `${e.message} (${e.extensions?.code ?? 'no code'})`).join('; '),
      INPUT_CODES.has(code) ? EXIT.USAGE : EXIT.UNREACHABLE,
    );
    this.code = code;
  }
}

/**
 * GraphQL over HTTP to the gateway, typed by the generated operations. Every request carries the
 * API key (`Authorization: Bearer …`); a 401/UNAUTHENTICATED or 403/FORBIDDEN answer becomes an
 * `AuthError` (exit 4) saying how to supply a key or which scope is missing.
 */
export class AssayClient {
  readonly url: string;
  readonly credentials: Credentials;

  constructor(
    credentials: Credentials,
    private readonly timeoutMs = 30_000,
  ) {
    this.url = credentials.url;
    this.credentials = credentials;
  }

  get apiKey(): ApiKey | undefined {
    return this.credentials.apiKey;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const key = this.credentials.apiKey;
    return { ...extra, ...(key ? { authorization: key.bearer() } : {}) };
  }

  async request<R, V>(document: TypedDocumentString<R, V>, variables?: V): Promise<R> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: this.headers({
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
        }),
        body: JSON.stringify({ query: document.toString(), variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new UnreachableError(this.url, this.redact(reasonOf(error)));
    }
    let body: { data?: R | null; errors?: GraphQLErrorShape[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      this.refusedBy(res.status, []);
      throw new UnreachableError(this.url, `HTTP ${res.status} without a GraphQL answer`);
    }
    if (res.status === 401 || res.status === 403) this.refusedBy(res.status, body?.errors ?? []);
    if (body?.errors?.length) {
      this.refusedBy(res.status, body.errors);
      throw new GraphQLRequestError(
        body.errors.map((e) => ({ ...e, message: this.redact(String(e.message)) })),
      );
    }
    if (!body?.data) throw new UnreachableError(this.url, `HTTP ${res.status} without data`);
    return body.data;
  }

  /** Throws the `AuthError` when the answer is a refused credential (by status, or by any error's code). */
  private refusedBy(status: number, errors: GraphQLErrorShape[]): void {
    const list = Array.isArray(errors) ? errors : [];
    const codeOf = (code: string) => list.find((e) => e?.extensions?.code === code);
    const denied = codeOf('UNAUTHENTICATED');
    if (denied || status === 401) throw unauthenticated(this.credentials, denied?.message);
    const refused = codeOf('FORBIDDEN');
    if (refused || status === 403) throw forbidden(this.credentials, refused?.message ?? `HTTP ${status}`);
  }

  private redact(text: string): string {
    return redactKeys(text, this.credentials.apiKey);
  }

  /** The gateway's `/status`: every subgraph's readiness checks. */
  async status(): Promise<GatewayStatus> {
    const url = this.url.replace(/\/graphql$/, '/status');
    let res: Response;
    try {
      res = await fetch(url, { headers: this.headers(), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new UnreachableError(url, this.redact(reasonOf(error)));
    }
    if (res.status === 401 || res.status === 403) this.refusedBy(res.status, []);
    try {
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return (await res.json()) as GatewayStatus;
    } catch (error) {
      throw new UnreachableError(url, reasonOf(error));
    }
  }
}

export interface GatewayStatus {
  ready: boolean;
  subgraphs: {
    name: string;
    reachable: boolean;
    ready: boolean;
    latencyMs: number;
    checks: Record<string, { ok: boolean; detail?: unknown }>;
  }[];
}

/** `fetch failed` says nothing; its cause (ECONNREFUSED, a timeout) says what happened. */
export function reasonOf(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'no answer in time';
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
}
