import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  connectionParamsFor,
  createTestDatabase,
  credentialsFor,
  runScript,
  type Started,
  systemPorts,
} from '@assay/kit/testing';
import { createClient, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';
import { RunKindDocument } from '../../cli/src/generated/graphql.ts';
import { assay } from '../../cli/test/support.ts';
import { MANIFEST_PATH } from '../../cli/trusted-documents.ts';

// The whole system as `npm start` runs it with ASSAY_TRUSTED_DOCUMENTS set to the CLI's manifest:
// the CLI works unchanged (HTTP and graphql-ws), a manifest document runs by its id, and any other
// document is refused, coded, over HTTP and over graphql-ws (where the socket goes on).

const DIFF = [
  'diff --git a/a.ts b/a.ts',
  '--- a/a.ts',
  '+++ b/a.ts',
  '@@ -1 +1,2 @@',
  ' a',
  '+export const b = 2;',
  '',
].join('\n');
const RUN_KIND = String(RunKindDocument);

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let system: Started;
let url: string;
let dir: string;
let apiKey: string;
before(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'assay-trusted-'));
  system = runScript('scripts/start.ts', {
    DATABASE_URL: database.url,
    ASSAY_DATA_DIR: join(dir, '.assay'),
    ASSAY_TRUSTED_DOCUMENTS: MANIFEST_PATH,
    ...(await systemPorts()),
  });
  url = (await system.waitFor(/Assay is ready: (\S+)/, 180_000))[1]!;
  await system.waitFor(/API key: /);
  apiKey = (await readFile(join(dir, '.assay', 'dev-api-key'), 'utf8')).trim();
});
after(async () => {
  if (system && system.child.exitCode === null) system.child.kill('SIGTERM');
  await system?.exited;
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Answer = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
};
const codes = (answer: Answer) => answer.errors?.map((e) => e.extensions?.code);

async function post(body: Record<string, unknown>): Promise<{ status: number; answer: Answer }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...credentialsFor(url) },
    body: JSON.stringify(body),
  });
  return { status: response.status, answer: (await response.json()) as Answer };
}

async function get(params: Record<string, string>): Promise<{ status: number; answer: Answer }> {
  const response = await fetch(`${url}?${new URLSearchParams(params)}`, {
    headers: { accept: 'application/json', ...credentialsFor(url) },
  });
  return { status: response.status, answer: (await response.json()) as Answer };
}

describe('trusted documents (ASSAY_TRUSTED_DOCUMENTS)', { timeout: 300_000 }, () => {
  let runId: string;

  it('the CLI scores a diff (its mutation, query and progress subscription are all in the manifest)', async () => {
    const diffFile = join(dir, 'change.diff');
    await writeFile(diffFile, DIFF);
    const r = await assay(
      ['score', '--repo', 'acme/trusted', '--pr', '1', '--diff-file', diffFile, '--json'],
      {
        ASSAY_URL: url,
        ASSAY_API_KEY: apiKey,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    runId = (JSON.parse(r.stdout) as { run: { id: string } }).run.id;
    const shown = await assay(['runs', 'show', runId, '--json'], { ASSAY_URL: url, ASSAY_API_KEY: apiKey });
    assert.equal(shown.code, 0, shown.stderr);
  });

  it('a manifest document runs by its id: documentId (POST and GET) and the APQ extension', async () => {
    const id = Object.entries(
      JSON.parse(await readFile(MANIFEST_PATH, 'utf8')) as Record<string, string>,
    ).find(([, text]) => text === RUN_KIND)![0];
    const variables = { id: runId };
    for (const { status, answer } of [
      await post({ documentId: `sha256:${id}`, variables }),
      await post({ extensions: { persistedQuery: { version: 1, sha256Hash: id } }, variables }),
      await get({ documentId: id, variables: JSON.stringify(variables) }),
      await post({ query: RUN_KIND, variables }),
    ]) {
      assert.equal(status, 200, JSON.stringify(answer));
      assert.deepEqual(answer.data, { scoringRun: { id: runId }, reviewRun: null });
    }
  });

  it('any other document, or an unknown id, is refused with its code (HTTP 400)', async () => {
    const other = await post({ query: '{ scoringRuns { nodes { id } } }' });
    assert.equal(other.status, 400);
    assert.deepEqual(codes(other.answer), ['PERSISTED_DOCUMENT_REQUIRED']);
    assert.equal(other.answer.data, undefined);
    const overGet = await get({ query: '{ __typename }' });
    assert.deepEqual([overGet.status, codes(overGet.answer)], [400, ['PERSISTED_DOCUMENT_REQUIRED']]);
    const unknown = await post({ documentId: 'sha256:0123abcd' });
    assert.deepEqual([unknown.status, codes(unknown.answer)], [400, ['PERSISTED_DOCUMENT_NOT_FOUND']]);
    const mutation = await post({ query: 'mutation { startReview(input: { idea: "not trusted" }) { id } }' });
    assert.deepEqual(codes(mutation.answer), ['PERSISTED_DOCUMENT_REQUIRED']);
  });

  it('over graphql-ws an untrusted subscribe gets an error for its id; the socket runs trusted ones', async () => {
    const closed: number[] = [];
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      connectionParams: connectionParamsFor(url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false, // one socket throughout, so a close would show
      onNonLazyError: () => undefined,
      on: { closed: (event) => closed.push((event as { code: number }).code) },
    });
    try {
      const refused = await client
        .iterate({ query: 'subscription { scoringRunProgress(runId: "x") { status } }' })
        .next()
        .then(
          (result) => assert.fail(`not refused: ${JSON.stringify(result)}`),
          (errors: Answer['errors']) => errors?.map((e) => e.extensions?.code),
        );
      assert.deepEqual(refused, ['PERSISTED_DOCUMENT_REQUIRED']);
      const trusted = await client.iterate({ query: RUN_KIND, variables: { id: runId } }).next();
      assert.deepEqual((trusted.value as ExecutionResult).data, {
        scoringRun: { id: runId },
        reviewRun: null,
      });
      assert.deepEqual(closed, [], 'the socket stayed open');
    } finally {
      await client.dispose();
    }
  });
});
