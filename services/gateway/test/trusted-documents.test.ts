import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { GraphQLError } from 'graphql';
import { cliManifest, MANIFEST_PATH } from '../../cli/trusted-documents.ts';
import { TrustedDocuments } from '../src/edge/trusted-documents.ts';

const QUERY = 'query RunKind($id: ID!) { scoringRun(id: $id) { id } }';
const ID = createHash('sha256').update(QUERY).digest('hex');
const trusted = new TrustedDocuments({ [ID]: QUERY });

/** The refusal `resolve` throws: its code and HTTP status. */
function refusal(run: () => unknown): { code: unknown; status: unknown; message: string } {
  try {
    run();
  } catch (error) {
    const { code, http } = (error as GraphQLError).extensions as { code: unknown; http: { status: unknown } };
    return { code, status: http.status, message: (error as Error).message };
  }
  throw new Error('not refused');
}

describe('trusted documents', () => {
  it('a document runs by its id (documentId with or without sha256:, APQ extension, GET URL) or by its exact text', () => {
    assert.equal(trusted.resolve({ documentId: ID }), QUERY);
    assert.equal(trusted.resolve({ documentId: `sha256:${ID}` }), QUERY);
    assert.equal(trusted.resolve({ extensions: { persistedQuery: { version: 1, sha256Hash: ID } } }), QUERY);
    assert.equal(trusted.resolve({}, ID), QUERY);
    assert.equal(trusted.resolve({ query: QUERY }), QUERY);
    assert.equal(trusted.resolve({ query: QUERY, documentId: ID }), QUERY);
  });

  it('anything else is refused with its own code and 400', () => {
    const unknown = refusal(() => trusted.resolve({ documentId: 'sha256:00ff' }));
    assert.deepEqual([unknown.code, unknown.status], ['PERSISTED_DOCUMENT_NOT_FOUND', 400]);
    assert.match(unknown.message, /No trusted document has the id "sha256:00ff"/);
    // A hostile id is refused like any unknown one, and only its first 80 characters are echoed.
    const hostile = refusal(() => trusted.resolve({ documentId: `\u0000${'x'.repeat(1_000_000)}` }));
    assert.deepEqual([hostile.code, hostile.status], ['PERSISTED_DOCUMENT_NOT_FOUND', 400]);
    assert.ok(hostile.message.length < 200, `${hostile.message.length} characters`);
    for (const params of [
      { query: '{ scoringRuns { nodes { id } } }' },
      { query: `${QUERY} ` }, // not the same text: a changed document is another document
      { query: '{ __typename }', documentId: ID },
      {},
      { query: 42 },
    ]) {
      const refused = refusal(() => trusted.resolve(params));
      assert.deepEqual(
        [refused.code, refused.status],
        ['PERSISTED_DOCUMENT_REQUIRED', 400],
        JSON.stringify(params),
      );
      assert.match(refused.message, /Only trusted documents run here \(ASSAY_TRUSTED_DOCUMENTS\)/);
    }
  });

  it('a manifest that is missing, not JSON, empty or not id → text refuses with a one-line reason', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assay-trusted-'));
    const file = async (name: string, text: string) => {
      await writeFile(join(dir, name), text);
      return join(dir, name);
    };
    const cases = [
      join(dir, 'missing.json'),
      await file('broken.json', '{"a": '),
      await file('empty.json', '{}'),
      await file('list.json', '["query { a }"]'),
      await file('numbers.json', '{"a": 1}'),
    ];
    for (const path of cases) {
      assert.throws(
        () => TrustedDocuments.load(path),
        (error: Error) =>
          error.message.startsWith('ASSAY_TRUSTED_DOCUMENTS: ') && !error.message.includes('\n'),
        path,
      );
    }
    assert.equal(TrustedDocuments.load(await file('one.json', JSON.stringify({ [ID]: QUERY }))).size, 1);
  });

  it("the CLI's manifest: every id is the SHA-256 of its text, and the file is what the operations give", () => {
    const shipped = TrustedDocuments.load(MANIFEST_PATH);
    const manifest = cliManifest();
    assert.deepEqual(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')), manifest);
    assert.ok(shipped.size >= 20);
    for (const [id, text] of Object.entries(manifest)) {
      assert.equal(createHash('sha256').update(text).digest('hex'), id);
      assert.equal(shipped.resolve({ documentId: id }), text);
    }
  });
});
