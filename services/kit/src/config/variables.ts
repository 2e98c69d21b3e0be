import { z } from 'zod';

/**
 * Every environment variable Assay reads, in one place: parsing, the unknown-variable check and the
 * README's configuration table all come from this list.
 */
const port = z.coerce.number().int().min(0).max(65535); // 0: any free port (tests)
const positiveInt = z.coerce.number().int().positive();
const url = z.url();
const boolean = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export interface Variable {
  schema: z.ZodType;
  description: string;
  /** Default as written in the environment; absent means optional with no value. */
  default?: string;
}

export const variables = {
  DATABASE_URL: {
    schema: url.refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// URL'),
    description: 'PostgreSQL server. Unset: `npm start` runs an embedded PostgreSQL under `ASSAY_DATA_DIR`.',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    description: 'pino log level.',
    default: 'info',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: url,
    description:
      'OTLP/HTTP endpoint for traces and metrics. Unset: nothing is exported (metrics stay on `/metrics`).',
  },
  OTEL_METRICS_EXPORTER: {
    schema: z.enum(['otlp', 'none']),
    description:
      '`none`: metrics are not pushed over OTLP, only served on `/metrics` for Prometheus to scrape (as docker-compose does).',
    default: 'otlp',
  },
  OPENAI_API_KEY: {
    schema: z.string().min(1),
    description: 'Enables the LLM scorer and reviewer. Never logged.',
  },
  OPENAI_BASE_URL: {
    schema: url,
    description: 'Any OpenAI-compatible Responses API server.',
  },
  ASSAY_HOST: {
    schema: z.string().min(1),
    description: 'Interface every process listens on (`0.0.0.0` in containers).',
    default: '127.0.0.1',
  },
  ASSAY_CONTEXT_SECRET: {
    schema: z.string().min(32, 'must be at least 32 characters'),
    description:
      "Shared secret the gateway signs each caller's context with and every subgraph verifies (HMAC-SHA256). Unset: `npm start` generates one per start; set it when processes are started separately.",
  },
  ASSAY_JWKS_URL: {
    schema: url,
    description:
      'JWKS of the identity provider whose JWTs the gateway accepts (`Authorization: Bearer <jwt>`). Unset: API keys only.',
  },
  ASSAY_JWT_ISSUER: { schema: z.string().min(1), description: 'Required `iss` of accepted JWTs.' },
  ASSAY_JWT_AUDIENCE: { schema: z.string().min(1), description: 'Required `aud` of accepted JWTs.' },
  ASSAY_JWT_TENANT_CLAIM: {
    schema: z.string().min(1),
    description: "JWT claim that names the caller's tenant.",
    default: 'tenant',
  },
  ASSAY_JWT_SCOPE_CLAIM: {
    schema: z.string().min(1),
    description:
      "JWT claim with the caller's scopes (space-separated string or array of `read`, `write`, `admin`).",
    default: 'scope',
  },
  ASSAY_API_KEY_CACHE_MS: {
    schema: positiveInt,
    description:
      'How long the gateway trusts a looked-up API key before reading it again: a revoked key stops working within this time on every replica (at once on the one that revoked it).',
    default: '10000',
  },
  ASSAY_TRUSTED_DOCUMENTS: {
    schema: z.string().min(1),
    description:
      "Path of a JSON manifest (document id → GraphQL document, as GraphQL Code Generator writes it): the gateway then runs only those documents, named by `documentId` or sent as their exact text (`PERSISTED_DOCUMENT_REQUIRED` otherwise). The CLI's is `services/cli/src/generated/trusted-documents.json`. Unset: any document.",
  },
  ASSAY_GATEWAY_PORT: { schema: port, description: 'Gateway port (`/graphql`).', default: '4000' },
  ASSAY_SCORING_PORT: { schema: port, description: 'Scoring subgraph port.', default: '4001' },
  ASSAY_REVIEW_PORT: { schema: port, description: 'Review subgraph port.', default: '4002' },
  ASSAY_FAILURE_CATALOG_PORT: {
    schema: port,
    description: 'Failure-catalog subgraph port.',
    default: '4003',
  },
  ASSAY_SCORING_URL: {
    schema: url,
    description:
      'Where the gateway reaches scoring. Default: `http://127.0.0.1:$ASSAY_SCORING_PORT/graphql`.',
  },
  ASSAY_REVIEW_URL: {
    schema: url,
    description: 'Where the gateway reaches review. Default: `http://127.0.0.1:$ASSAY_REVIEW_PORT/graphql`.',
  },
  ASSAY_FAILURE_CATALOG_URL: {
    schema: url,
    description:
      'Where the gateway reaches failure-catalog. Default: `http://127.0.0.1:$ASSAY_FAILURE_CATALOG_PORT/graphql`.',
  },
  ASSAY_DATA_DIR: {
    schema: z.string().min(1),
    description: 'Embedded PostgreSQL data (`pg/`) and the durable write spools (`spool/<service>/`).',
    default: '.assay',
  },
  ASSAY_EMBEDDED_PG_PORT: { schema: port, description: 'Port of the embedded PostgreSQL.', default: '54329' },
  ASSAY_DB_POOL_MAX: {
    schema: z.coerce.number().int().min(3).max(200),
    description:
      'Connections per process; writes use at most this minus two at once (they queue), reads keep the rest.',
    default: '10',
  },
  ASSAY_DB_CONNECT_RETRY_MS: {
    schema: positiveInt,
    description: 'Longest wait between attempts to reach the database while starting.',
    default: '5000',
  },
  ASSAY_DB_CONNECT_TIMEOUT_MS: {
    schema: positiveInt,
    description:
      'Longest wait for a new connection or a free pool slot before the attempt fails (and is retried).',
    default: '2000',
  },
  ASSAY_DB_STATEMENT_TIMEOUT_MS: {
    schema: positiveInt,
    description: 'PostgreSQL `statement_timeout` of every connection.',
    default: '15000',
  },
  ASSAY_WRITE_TIMEOUT_MS: {
    schema: positiveInt,
    description: 'Reliable write path: longest time of one attempt (transaction and read-back).',
    default: '5000',
  },
  ASSAY_WRITE_RETRIES: {
    schema: z.coerce.number().int().min(0),
    description:
      'Reliable write path: attempts after the first for transient errors, before the write is spooled.',
    default: '4',
  },
  ASSAY_WRITE_RETRY_BASE_MS: {
    schema: positiveInt,
    description: 'Reliable write path: first retry delay; grows exponentially with decorrelated jitter.',
    default: '50',
  },
  ASSAY_WRITE_RETRY_MAX_MS: {
    schema: positiveInt,
    description: 'Reliable write path: longest retry delay.',
    default: '2000',
  },
  ASSAY_WRITE_GROUP_SLOTS: {
    schema: z.coerce.number().int().min(1).max(64),
    description:
      'Reliable write path: group commits in flight at once; writes that arrive meanwhile go out together in the next.',
    default: '2',
  },
  ASSAY_BREAKER_THRESHOLD: {
    schema: positiveInt,
    description:
      'Consecutive transient failures that open the database circuit breaker (writes then spool at once).',
    default: '5',
  },
  ASSAY_BREAKER_HALF_OPEN_MS: {
    schema: positiveInt,
    description: 'How long the breaker stays open before one probe write is let through.',
    default: '5000',
  },
  ASSAY_SPOOL_REPLAY_INTERVAL_MS: {
    schema: positiveInt,
    description: 'How often the spool replayer looks for records to drain.',
    default: '1000',
  },
  ASSAY_SHUTDOWN_TIMEOUT_MS: {
    schema: positiveInt,
    description: 'How long a process waits for in-flight requests on SIGTERM before it closes anyway.',
    default: '10000',
  },
  ASSAY_GRAPHQL_MAX_DEPTH: { schema: positiveInt, description: 'Deepest query accepted.', default: '10' },
  ASSAY_GRAPHQL_INTROSPECTION: {
    schema: boolean,
    description:
      'Allow introspection, the gateway IDE and "Did you mean" hints in errors (gateway and subgraphs). Unset: on, except when `NODE_ENV=production`.',
  },
  ASSAY_GRAPHQL_TIMEOUT_MS: {
    schema: positiveInt,
    description:
      'Longest a query or mutation may run (gateway and each subgraph) before it is answered with `OPERATION_TIMEOUT` (HTTP 504). Subscriptions are not limited.',
    default: '30000',
  },
  ASSAY_RATE_LIMIT_PER_MINUTE: {
    schema: positiveInt,
    description:
      'Operations one caller (API key or JWT subject) may start per minute, per gateway replica (a token bucket that refills continuously; bursts up to this number); more get `RATE_LIMITED` (HTTP 429, `Retry-After`).',
    default: '6000',
  },
  ASSAY_CORS_ORIGINS: {
    schema: z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((o) => o.trim())
          .filter((o) => o.length > 0),
      )
      .pipe(
        z.array(
          z
            .url()
            .refine((o) => new URL(o).origin === o, 'each must be an origin like https://app.example.com'),
        ),
      ),
    description:
      'Comma-separated origins (`https://app.example.com`) whose browsers may call the gateway cross-origin. Unset: none (no CORS headers).',
  },
  ASSAY_CORS_CREDENTIALS: {
    schema: boolean,
    description:
      'Send `Access-Control-Allow-Credentials: true` to the origins of `ASSAY_CORS_ORIGINS` (cookies, HTTP auth). Never to other origins.',
    default: 'false',
  },
  ASSAY_MAX_DIFF_BYTES: {
    schema: positiveInt,
    description: 'Largest diff `startScoringRun` accepts, in bytes.',
    default: String(2 * 1024 * 1024),
  },
  ASSAY_URL: {
    schema: url,
    description:
      'The `assay` command line: the gateway GraphQL endpoint it talks to (`--url` wins). Default `http://127.0.0.1:4000/graphql`.',
  },
  ASSAY_CONFIG: {
    schema: z.string().min(1),
    description:
      'The `assay` command line: its JSON config file (`--config` wins; else `./assay.config.json`), e.g. `{"url": "…", "apiKey": "…"}`.',
  },
  ASSAY_API_KEY: {
    schema: z.string().min(1),
    description:
      'The `assay` command line: the API key it sends (`--api-key` wins; then `apiKey` in the config file, then `<ASSAY_DATA_DIR>/dev-api-key`). Never printed.',
  },
  ASSAY_LLM_MODEL: {
    schema: z.string().min(1),
    description: 'Model of the LLM scorer.',
    default: 'gpt-5-mini',
  },
  ASSAY_LLM_TIMEOUT_MS: {
    schema: positiveInt,
    description: 'Per request to the model; a timed-out request is retried.',
    default: '60000',
  },
  ASSAY_LLM_PRICES: {
    schema: z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string().min(1), z.tuple([z.number().min(0), z.number().min(0)]))),
    description:
      'Model prices for the estimated-cost metric, JSON `{"model": [input, output]}` in US dollars per million tokens; merged over the built-in list prices of OpenAI models (`services/kit/src/llm/llm-prices.ts`).',
  },
  ASSAY_LLM_RETRIES: {
    schema: z.coerce.number().int().min(0).max(10),
    description: 'Retries of a model request on 429, 5xx, timeouts and connection errors.',
    default: '3',
  },
  ASSAY_SCORING_CONCURRENCY: {
    schema: z.coerce.number().int().min(0).max(64),
    description:
      'Scoring jobs one scoring process runs at once; `0` makes it serve the API and subscriptions only.',
    default: '4',
  },
  ASSAY_REVIEW_CONCURRENCY: {
    schema: z.coerce.number().int().min(0).max(64),
    description:
      'Review jobs one review process runs at once; `0` makes it serve the API and subscriptions only.',
    default: '2',
  },
  ASSAY_REVIEW_PERSONA_CONCURRENCY: {
    schema: z.coerce.number().int().min(1).max(16),
    description: 'Personas of one review asked at once.',
    default: '5',
  },
  ASSAY_REVIEW_PERSONA_RETRIES: {
    schema: z.coerce.number().int().min(0).max(10),
    description:
      'Retries of one persona’s (or the expansion’s) model call after a 429, 5xx, timeout or lost connection.',
    default: '2',
  },
  ASSAY_REVIEW_APPROVE_AT: {
    schema: z.coerce.number().min(0).max(1),
    description:
      'Weighted confidence at or above which a review is APPROVE (see `services/review/DECISIONS.md`).',
    default: '0.75',
  },
  ASSAY_REVIEW_REJECT_BELOW: {
    schema: z.coerce.number().min(0).max(1),
    description: 'Weighted confidence below which a review is REJECT; between the two it is REVISE.',
    default: '0.4',
  },
  ASSAY_REVIEW_SECURITY_BLOCK_AT: {
    schema: z.coerce.number().min(0).max(1),
    description:
      'A persona that marks a security concern blocking with at least this confidence forces at least REVISE.',
    default: '0.5',
  },
  ASSAY_REVIEW_QUORUM: {
    schema: z.coerce.number().int().min(1).max(50),
    description:
      'Personas that must answer for a decision (their weight must also be that share of the set’s); below it the run FAILS.',
    default: '3',
  },
  ASSAY_FAILURE_INTAKE_INTERVAL_MS: {
    schema: positiveInt.max(60_000),
    description: 'How often the failure catalog takes what the producers wrote to their failure outboxes.',
    default: '500',
  },
  ASSAY_RUN_HEARTBEAT_TIMEOUT_MS: {
    schema: positiveInt,
    description:
      'A run with no progress for this long is re-queued by the watchdog (or failed after its last attempt). Keep it above `ASSAY_LLM_TIMEOUT_MS`.',
    default: '120000',
  },
  ASSAY_RUN_MAX_ATTEMPTS: {
    schema: positiveInt,
    description: 'Executions of a run (the watchdog re-queues stalled ones) before it fails.',
    default: '3',
  },
  ASSAY_WATCHDOG_INTERVAL_MS: {
    schema: positiveInt,
    description: 'How often the watchdog looks for stalled runs (one replica at a time).',
    default: '10000',
  },
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof variables;
