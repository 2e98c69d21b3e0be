import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { type DocumentNode, GraphQLError, type ValidationRule } from 'graphql';

/**
 * The abuse limits of every GraphQL server in Assay, in one place: the gateway applies them with
 * graphql-armor's envelop plugins, each subgraph's Apollo Server (and its graphql-ws) with the same
 * armor rules, so a subgraph reached directly refuses what the gateway refuses, with the same codes.
 */
export interface GraphQLLimits {
  /** Deepest selection (fragments flattened). */
  maxDepth: number;
  /** graphql-armor cost: objects 2, scalars 1, x1.5 per level, x`first` for lists. */
  maxCost: number;
  maxAliases: number;
  /** Lexical tokens of one document. */
  maxTokens: number;
  maxDirectives: number;
  /** Operations in one batched (JSON array) request. */
  maxBatch: number;
  /** Largest request body, in bytes (HTTP 413). */
  maxBodyBytes: number;
  /** Longest a query or mutation may run before it is answered with OPERATION_TIMEOUT (HTTP 504). */
  operationTimeoutMs: number;
}

export const DEFAULT_LIMITS: GraphQLLimits = {
  maxDepth: 10,
  maxCost: 5000,
  maxAliases: 15,
  maxTokens: 2000,
  maxDirectives: 20,
  maxBatch: 10,
  maxBodyBytes: 16 * 1024 * 1024,
  operationTimeoutMs: 30_000,
};

/** The limits with what the environment may change (`ASSAY_GRAPHQL_MAX_DEPTH`, `ASSAY_GRAPHQL_TIMEOUT_MS`). */
export function graphqlLimits(config: {
  ASSAY_GRAPHQL_MAX_DEPTH?: number;
  ASSAY_GRAPHQL_TIMEOUT_MS?: number;
}): GraphQLLimits {
  return {
    ...DEFAULT_LIMITS,
    maxDepth: config.ASSAY_GRAPHQL_MAX_DEPTH ?? DEFAULT_LIMITS.maxDepth,
    operationTimeoutMs: config.ASSAY_GRAPHQL_TIMEOUT_MS ?? DEFAULT_LIMITS.operationTimeoutMs,
  };
}

/**
 * Each refusal's `extensions.code` and HTTP status (every code has an entry in the failure
 * catalog's API errors).
 */
const REFUSALS = {
  depth: { code: 'QUERY_TOO_DEEP', status: 400 },
  cost: { code: 'QUERY_TOO_COSTLY', status: 400 },
  aliases: { code: 'TOO_MANY_ALIASES', status: 400 },
  tokens: { code: 'TOO_MANY_TOKENS', status: 400 },
  directives: { code: 'TOO_MANY_DIRECTIVES', status: 400 },
  batch: { code: 'BATCH_TOO_LARGE', status: 413 },
  body: { code: 'PAYLOAD_TOO_LARGE', status: 413 },
  timeout: { code: 'OPERATION_TIMEOUT', status: 504 },
  rate: { code: 'RATE_LIMITED', status: 429 },
  csrf: { code: 'CSRF_PREVENTED', status: 403 },
  untrustedDocument: { code: 'PERSISTED_DOCUMENT_REQUIRED', status: 400 },
  unknownDocument: { code: 'PERSISTED_DOCUMENT_NOT_FOUND', status: 400 },
} as const;

export type LimitKind = keyof typeof REFUSALS;

export const LIMIT_CODES = Object.fromEntries(
  Object.entries(REFUSALS).map(([kind, refusal]) => [kind, refusal.code]),
) as { [K in LimitKind]: (typeof REFUSALS)[K]['code'] };

/** Every code above: client mistakes, whose message is kept when errors are masked. */
export const LIMIT_CODE_SET: ReadonlySet<string> = new Set(Object.values(LIMIT_CODES));

/** A refusal: its own code, a message naming the limit and its value, and its HTTP status. */
export function limitError(
  kind: LimitKind,
  message: string,
  options: { headers?: Record<string, string> } = {},
): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: REFUSALS[kind].code,
      http: { status: REFUSALS[kind].status, ...(options.headers ? { headers: options.headers } : {}) },
    },
  });
}

/** armor's message ("Syntax Error: Query depth limit of 10 exceeded, found 12.") without its prefix. */
function armorMessage(error: GraphQLError): string {
  return error.message.replace(/^Syntax Error:\s*/, '');
}

/**
 * armor's onReject for a limit: a validation rule reports the coded error (the other rules still run),
 * the parser (no validation context) throws it.
 */
export function rejectWith(kind: LimitKind): GraphQLArmorRejectCallback {
  return (context, error) => {
    const coded = limitError(kind, `${armorMessage(error)} (${LIMIT_CODES[kind]})`);
    if (context) context.reportError(coded);
    else throw coded;
  };
}

/** The options of each armor protection, as the gateway's plugins and the subgraphs' rules take them. */
export function armorOptions(limits: GraphQLLimits) {
  const common = (kind: LimitKind) => ({
    exposeLimits: true,
    propagateOnRejection: false,
    onReject: [rejectWith(kind)],
  });
  return {
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ...common('depth') },
    costLimit: { maxCost: limits.maxCost, ...common('cost') },
    maxAliases: { n: limits.maxAliases, ...common('aliases') },
    maxDirectives: { n: limits.maxDirectives, ...common('directives') },
    maxTokens: { n: limits.maxTokens, ...common('tokens') },
  };
}

/** The validation rules of the limits (all but tokens, which the parser counts). */
export function limitValidationRules(limits: GraphQLLimits): ValidationRule[] {
  const options = armorOptions(limits);
  return [
    maxDepthRule(options.maxDepth),
    costLimitRule(options.costLimit),
    maxAliasesRule(options.maxAliases),
    maxDirectivesRule(options.maxDirectives),
  ] as unknown as ValidationRule[];
}

/** Parses with the token limit (TOO_MANY_TOKENS); a syntax error is thrown as graphql's GraphQLError. */
export function parseWithLimits(source: string, limits: GraphQLLimits): DocumentNode {
  const parser = new MaxTokensParserWLexer(source, armorOptions(limits).maxTokens);
  return parser.parseDocument();
}

/**
 * Apollo Server parses with graphql-js's own `maxTokens` (it takes no parser): its refusal
 * ("Document contains more that N tokens", sic) is recoded as TOO_MANY_TOKENS when errors are formatted.
 */
export function tokenLimitMessage(message: string): string | undefined {
  const match = /Document contains more tha[nt] (\d+) tokens/.exec(message);
  return match ? `Token limit of ${match[1]} exceeded. (${LIMIT_CODES.tokens})` : undefined;
}

/**
 * Introspection and the gateway IDE: `ASSAY_GRAPHQL_INTROSPECTION` when set, else on except when
 * `NODE_ENV=production`.
 */
export function introspectionEnabled(setting: boolean | undefined, nodeEnv: string | undefined): boolean {
  return setting ?? nodeEnv !== 'production';
}

/** graphql-js's "Did you mean …?" hints name schema members: hidden when introspection is off. */
export function hideSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '').trim();
}

/**
 * What a response may never carry: URLs (upstreams), host:port pairs, file paths, stack frames and
 * SQL. Returns the message with those parts replaced, or undefined when nothing of it can be shown.
 */
export function scrubMessage(message: string): string | undefined {
  // SQL: a statement keyword with quoted qualified names, bind parameters or a WHERE comparison (a
  // person's sentence such as "select a scorer from the list" has none of those).
  if (
    /\b(select|insert\s+into|update|delete\s+from|returning)\b/i.test(message) &&
    /"\w+"\."\w+"|\$\d+\b|\bwhere\b[^.]*=/i.test(message)
  ) {
    return undefined;
  }
  if (/\n\s+at\s/.test(message)) return undefined;
  return message
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`)]+/gi, '[url]')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '[address]')
    .replace(/\blocalhost:\d+\b/gi, '[address]')
    .replace(/(?:[A-Za-z]:)?(?:\/[\w.@-]+){2,}\.(?:[cm]?[jt]s|json|node)\b(?::\d+(?::\d+)?)?/g, '[path]');
}
