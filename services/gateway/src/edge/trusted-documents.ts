import { readFileSync } from 'node:fs';
import { LIMIT_CODES, limitError } from '@assay/kit/limits';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';

/** What a request names its operation with: the text, or the id of a persisted document. */
export interface DocumentParams {
  query?: unknown;
  documentId?: unknown;
  extensions?: unknown;
}

/**
 * Trusted documents (`ASSAY_TRUSTED_DOCUMENTS`): the gateway runs only the operations of a manifest,
 * a JSON object of id → document text as GraphQL Code Generator and Hive write it (the CLI's is
 * `services/cli/src/generated/trusted-documents.json`). A request names one by id (`documentId`, in
 * the body or the URL, `sha256:` prefix optional; or APQ's `extensions.persistedQuery.sha256Hash`), or
 * sends a manifest document's text exactly, so clients that send text (the CLI) need no change
 * (Apollo Router's safelisting works the same way). Anything else is refused, coded, before parsing.
 *
 * Not Yoga's persisted-operations plugin: it refuses every request that carries text, and it does not
 * cover graphql-ws, where the gateway parses `subscribe` payloads itself (gateway.ts).
 */
export class TrustedDocuments {
  private readonly byId: ReadonlyMap<string, string>;
  private readonly texts: ReadonlySet<string>;

  constructor(manifest: Record<string, string>) {
    this.byId = new Map(Object.entries(manifest).map(([id, text]) => [bareId(id), text]));
    this.texts = new Set(this.byId.values());
  }

  /** The manifest at `path`; a one-line reason when it is missing, not JSON or not id → text. */
  static load(path: string): TrustedDocuments {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`ASSAY_TRUSTED_DOCUMENTS: cannot read ${path}: ${(error as Error).message}`);
    }
    const entries = manifest && typeof manifest === 'object' ? Object.entries(manifest) : [];
    if (
      Array.isArray(manifest) ||
      entries.length === 0 ||
      entries.some(([, text]) => typeof text !== 'string')
    )
      throw new Error(
        `ASSAY_TRUSTED_DOCUMENTS: ${path} must be a non-empty JSON object of document id → GraphQL document text`,
      );
    return new TrustedDocuments(manifest as Record<string, string>);
  }

  get size(): number {
    return this.byId.size;
  }

  /**
   * The text to run for a request: the document its id names, or its own text when that is a trusted
   * document. `urlDocumentId` is a GET request's `?documentId=` (Yoga's GET parser drops it).
   */
  resolve(params: DocumentParams, urlDocumentId?: string | null): string {
    const id = idOf(params) ?? urlDocumentId ?? undefined;
    const query = typeof params.query === 'string' && params.query !== '' ? params.query : undefined;
    if (id !== undefined) {
      const text = this.byId.get(bareId(id));
      if (text === undefined)
        throw limitError(
          'unknownDocument',
          `No trusted document has the id "${id.slice(0, 80)}". (${LIMIT_CODES.unknownDocument})`,
        );
      if (query !== undefined && query !== text)
        throw untrusted('a request with a document id must not send a different document');
      return text;
    }
    if (query !== undefined && this.texts.has(query)) return query;
    throw untrusted(
      query === undefined
        ? 'send the id of a trusted document (documentId) or its text'
        : 'the document is not one of them; send a trusted document, or its id (documentId)',
    );
  }
}

/** The gateway's HTTP side of trusted documents (graphql-ws calls `resolve` itself). */
export function trustedDocumentsPlugin(trusted: TrustedDocuments): GatewayPlugin {
  return {
    onParams({ params, request, setParams }) {
      const urlId = request.method === 'GET' ? new URL(request.url).searchParams.get('documentId') : null;
      const query = trusted.resolve(params as DocumentParams, urlId);
      // Yoga refuses parameters it does not know, so `documentId` goes once it has done its part.
      const { documentId, ...rest } = params as typeof params & DocumentParams;
      if (query !== params.query || documentId !== undefined) setParams({ ...rest, query });
    },
  };
}

function idOf(params: DocumentParams): string | undefined {
  if (typeof params.documentId === 'string' && params.documentId !== '') return params.documentId;
  const persisted = (params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)
    ?.persistedQuery;
  return typeof persisted?.sha256Hash === 'string' ? persisted.sha256Hash : undefined;
}

/** `sha256:<hex>` (the GraphQL-over-HTTP draft's form) and `<hex>` (Code Generator's keys) are one id. */
const bareId = (id: string) => (id.startsWith('sha256:') ? id.slice('sha256:'.length) : id);

const untrusted = (why: string) =>
  limitError(
    'untrustedDocument',
    `Only trusted documents run here (ASSAY_TRUSTED_DOCUMENTS): ${why}. (${LIMIT_CODES.untrustedDocument})`,
  );
