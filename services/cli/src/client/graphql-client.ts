import { CliError, EXIT, UnreachableError } from '../exit-codes.ts';
import type { TypedDocumentString } from '../generated/graphql.ts';

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

/** GraphQL over HTTP to the gateway, typed by the generated operations. */
export class AssayClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 30_000,
  ) {}

  async request<R, V>(document: TypedDocumentString<R, V>, variables?: V): Promise<R> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
        },
        body: JSON.stringify({ query: document.toString(), variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new UnreachableError(this.url, reasonOf(error));
    }
    let body: { data?: R | null; errors?: GraphQLErrorShape[] };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new UnreachableError(this.url, `HTTP ${res.status} without a GraphQL answer`);
    }
    if (body.errors?.length) throw new GraphQLRequestError(body.errors);
    if (!body.data) throw new UnreachableError(this.url, `HTTP ${res.status} without data`);
    return body.data;
  }

  /** The gateway's `/status`: every subgraph's readiness checks. */
  async status(): Promise<GatewayStatus> {
    const url = this.url.replace(/\/graphql$/, '/status');
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
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
