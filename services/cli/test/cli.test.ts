import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { freePort } from '@assay/kit/testing';
import { ApiKey, AuthError } from '../src/client/credentials.ts';
import { follow } from '../src/client/follow.ts';
import { AssayClient } from '../src/client/graphql-client.ts';
import { resolveConfig } from '../src/config.ts';
import { EXIT, UsageError } from '../src/exit-codes.ts';
import { defaultIdempotencyKey, MAX_DIFF_BYTES, readDiff } from '../src/input/diff-input.ts';
import { annotation } from '../src/output/github.ts';
import { awaitRun } from '../src/runs/await-run.ts';
import { assay } from './support.ts';

// Made-up keys of the real shape (none is known to any gateway).
const KEY_A = `assay_aaaaaaaaaaaa_${'A'.repeat(43)}`;
const KEY_B = `assay_bbbbbbbbbbbb_${'B'.repeat(43)}`;
const KEY_C = `assay_cccccccccccc_${'C'.repeat(43)}`;
const KEY_D = `assay_dddddddddddd_${'D'.repeat(43)}`;

test('the default idempotency key is the same for the same repo, PR and diff, and differs otherwise', () => {
  const key = defaultIdempotencyKey('acme/api', 7, 'diff a');
  assert.equal(key, defaultIdempotencyKey('acme/api', 7, 'diff a'));
  assert.match(key, /^assay-cli:[0-9a-f]{64}$/);
  assert.ok(key.length <= 200, 'within the API limit');
  for (const other of [
    defaultIdempotencyKey('acme/web', 7, 'diff a'),
    defaultIdempotencyKey('acme/api', 8, 'diff a'),
    defaultIdempotencyKey('acme/api', undefined, 'diff a'),
    defaultIdempotencyKey('acme/api', 7, 'diff b'),
  ])
    assert.notEqual(other, key);
});

test('annotations escape what would end or split a workflow command', () => {
  assert.equal(
    annotation({
      level: 'warning',
      file: 'a,b:c.ts',
      line: 3,
      title: 'rule, x',
      message: '100% sure\nline two',
    }),
    '::warning file=a%2Cb%3Ac.ts,line=3,title=rule%2C x::100%25 sure%0Aline two',
  );
  assert.equal(
    annotation({ level: 'error', file: 'x.ts', line: null, title: 't', message: 'm' }),
    '::error file=x.ts,title=t::m',
  );
});

test('configuration: flag over ASSAY_URL over the config file over the default; a bad file or URL is a usage error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'assay-cli-config-'));
  try {
    const file = join(dir, 'assay.json');
    await writeFile(file, JSON.stringify({ url: 'http://from-file:4000/graphql' }));
    assert.equal(resolveConfig({ config: file }, {}).url, 'http://from-file:4000/graphql');
    assert.equal(resolveConfig({}, { ASSAY_CONFIG: file }).url, 'http://from-file:4000/graphql');
    assert.equal(
      resolveConfig({ config: file }, { ASSAY_URL: 'http://env/graphql' }).url,
      'http://env/graphql',
    );
    assert.equal(
      resolveConfig({ config: file, url: 'http://flag/graphql' }, { ASSAY_URL: 'http://env/graphql' }).url,
      'http://flag/graphql',
    );
    assert.equal(resolveConfig({}, {}).url, 'http://127.0.0.1:4000/graphql');
    await writeFile(file, '{nope');
    assert.throws(() => resolveConfig({ config: file }, {}), UsageError);
    assert.throws(() => resolveConfig({ url: 'ftp://x' }, {}), /must be an http\(s\) URL/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('API key: --api-key over ASSAY_API_KEY over "apiKey" in the config file over <ASSAY_DATA_DIR>/dev-api-key', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'assay-cli-key-'));
  try {
    const file = join(dir, 'assay.json');
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'dev-api-key'), `${KEY_D}\n`, { mode: 0o600 });
    await writeFile(file, JSON.stringify({ apiKey: KEY_C }));
    const base = { ASSAY_DATA_DIR: dataDir };
    const keyOf = (o: Parameters<typeof resolveConfig>[0], env: NodeJS.ProcessEnv) => {
      const config = resolveConfig(o, env);
      return config.apiKey && { source: config.apiKey.source, header: config.apiKey.bearer() };
    };
    assert.deepEqual(keyOf({}, base), { source: join(dataDir, 'dev-api-key'), header: `Bearer ${KEY_D}` });
    assert.deepEqual(keyOf({ config: file }, base), {
      source: `"apiKey" in ${file}`,
      header: `Bearer ${KEY_C}`,
    });
    assert.deepEqual(keyOf({ config: file }, { ...base, ASSAY_API_KEY: ` ${KEY_B} ` }), {
      source: 'ASSAY_API_KEY',
      header: `Bearer ${KEY_B}`,
    });
    assert.deepEqual(keyOf({ config: file, apiKey: KEY_A }, { ...base, ASSAY_API_KEY: KEY_B }), {
      source: '--api-key',
      header: `Bearer ${KEY_A}`,
    });
    assert.equal(keyOf({ config: file }, { ...base, ASSAY_API_KEY: '' })?.source, `"apiKey" in ${file}`);
    assert.equal(keyOf({}, { ASSAY_DATA_DIR: join(dir, 'none') }), undefined, 'no key anywhere');
    assert.equal(resolveConfig({}, base).devKeyFile, join(dataDir, 'dev-api-key'));

    await writeFile(file, JSON.stringify({ apiKey: 42 }));
    assert.throws(() => resolveConfig({ config: file }, base), /"apiKey" in .* must be a string/);
    await writeFile(file, `{"apiKey": "${KEY_C}",}`);
    assert.throws(
      () => resolveConfig({ config: file }, base),
      (e: Error) => e instanceof UsageError && !e.message.includes(KEY_C),
      'a broken config file is reported without quoting it',
    );
    const spaced = `${KEY_A} ${KEY_B}`;
    assert.throws(
      () => resolveConfig({ apiKey: spaced }, base),
      (e: Error) => e instanceof UsageError && /malformed/.test(e.message) && !e.message.includes(KEY_A),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the key never shows in JSON, inspect or string form of the configuration', () => {
  const config = resolveConfig({ apiKey: KEY_A }, {});
  for (const text of [JSON.stringify(config), inspect(config, { depth: 5 }), `${config.apiKey}`])
    assert.ok(!text.includes(KEY_A) && text.includes('--api-key'), text);
});

test('HTTP: the key goes as Authorization: Bearer; 401 and 403 become one exit-4 line, redacted', async () => {
  const seen: (string | undefined)[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: { data: { ok: true } } };
  const server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    req.resume();
    req.on('end', () =>
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const doc = { toString: () => '{ ok }' } as never;
  try {
    const withKey = new AssayClient({ url, apiKey: new ApiKey(KEY_A, 'ASSAY_API_KEY'), devKeyFile: '/d/k' });
    assert.deepEqual(await withKey.request(doc), { ok: true });
    await new AssayClient({ url, devKeyFile: '/d/k' }).status().catch(() => {});
    assert.deepEqual(seen, [`Bearer ${KEY_A}`, undefined], 'no header without a key');

    answer = {
      status: 401,
      body: {
        errors: [
          { message: `not authenticated: unknown API key ${KEY_A}`, extensions: { code: 'UNAUTHENTICATED' } },
        ],
      },
    };
    await assert.rejects(withKey.request(doc), (e: Error) => {
      assert.ok(e instanceof AuthError && e.exitCode === EXIT.USAGE);
      assert.ok(!e.message.includes(KEY_A), e.message);
      assert.match(
        e.message,
        /refused the API key from ASSAY_API_KEY \(not authenticated: unknown API key \[api key\]\)/,
      );
      assert.match(e.message, /--api-key KEY, set ASSAY_API_KEY, put "apiKey" in the config file, .*\/d\/k$/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    await assert.rejects(
      new AssayClient({ url, devKeyFile: '/d/k' }).request(doc),
      /needs an API key and none was found/,
    );
    answer = { status: 401, body: 'not json' };
    await assert.rejects(withKey.request(doc), AuthError);
    answer = {
      status: 403,
      body: {
        errors: [
          {
            message: 'this operation needs the "admin" scope, which the credential does not have',
            extensions: { code: 'FORBIDDEN' },
          },
        ],
      },
    };
    await assert.rejects(withKey.request(doc), (e: Error) => {
      assert.ok(e instanceof AuthError && e.exitCode === EXIT.USAGE);
      assert.match(e.message, /^the API key from ASSAY_API_KEY lacks the "admin" scope this command needs/);
      return true;
    });
  } finally {
    server.close();
  }
});

test('graphql-ws: the key goes in connection_init; a socket closed 4403 is a refused key, at once', async () => {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/graphql' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const inits: unknown[] = [];
  wss.on('connection', (socket) =>
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
      if (message.type !== 'connection_init') return;
      inits.push(message.payload);
      socket.close(4403, 'Forbidden');
    }),
  );
  const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}/graphql`;
  try {
    const credentials = { url, apiKey: new ApiKey(KEY_B, '--api-key'), devKeyFile: '/d/k' };
    await assert.rejects(
      follow(credentials, { toString: () => 'subscription { x }' } as never, {}, () => {}, {
        signal: AbortSignal.timeout(30_000),
      }),
      (e: Error) =>
        e instanceof AuthError &&
        e.exitCode === EXIT.USAGE &&
        /refused the API key from --api-key \(the subscription socket was closed 4403/.test(e.message),
    );
    assert.deepEqual(inits, [{ authorization: `Bearer ${KEY_B}` }], 'sent once, not retried');
  } finally {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
  }
});

const quiet = { update() {}, note() {}, finish() {} };
type Run = { status: string; progressPct: number };

test('a poll that answers no run (a gateway restarting) keeps waiting instead of failing', async () => {
  const answers: (Run | null)[] = [null, null, { status: 'RUNNING', progressPct: 50 }, null];
  let polls = 0;
  const result = await awaitRun<Run>({
    fetch: async () =>
      polls++ < answers.length ? answers[polls - 1]! : { status: 'DONE', progressPct: 100 },
    follow: (_onState, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())),
    isTerminal: (s) => s === 'DONE',
    isSettled: (r) => r.status === 'DONE',
    progress: quiet,
    timeoutMs: 600_000,
    stallMs: 600_000,
    settleMs: 0,
    pollMs: 1,
  });
  assert.equal(result.outcome, 'settled');
  assert.equal(result.run?.status, 'DONE');
  assert.equal(polls, answers.length + 1);
});

test('a subscription refused for its key ends the wait with that error', async () => {
  const refused = new AuthError('refused', 'UNAUTHENTICATED');
  await assert.rejects(
    awaitRun<Run>({
      fetch: async () => ({ status: 'RUNNING', progressPct: 10 }),
      follow: () => Promise.reject(refused),
      isTerminal: (s) => s === 'DONE',
      isSettled: (r) => r.status === 'DONE',
      progress: quiet,
      timeoutMs: 600_000,
      stallMs: 600_000,
      settleMs: 0,
      pollMs: 1,
    }),
    (e) => e === refused,
  );
});

test('a diff over 64 MiB is refused before anything is sent (file and stdin)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'assay-cli-diff-'));
  try {
    const huge = join(dir, 'huge.diff');
    await writeFile(huge, '');
    await truncate(huge, MAX_DIFF_BYTES + 1);
    assert.throws(() => readDiff({ diffFile: huge }), /larger than 64 MiB/);
    // Through the command, with nothing listening: exit 4 (refused here), not 5 (it tried to send).
    const nowhere = { ASSAY_URL: `http://127.0.0.1:${await freePort()}/graphql`, ASSAY_API_KEY: KEY_A };
    const fromStdin = await assay(['score', '--repo', 'acme/api'], nowhere, {
      input: `${'+x\n'.repeat(Math.ceil((MAX_DIFF_BYTES + 1) / 3))}`,
      cwd: dir,
    });
    assert.equal(fromStdin.code, 4, fromStdin.stderr);
    assert.match(fromStdin.stderr, /^assay: the diff from stdin is larger than 64 MiB/);
    const fromFile = await assay(['score', '--repo', 'acme/api', '--diff-file', huge], nowhere, { cwd: dir });
    assert.equal(fromFile.code, 4, fromFile.stderr);
    // Just under the limit is read (and then fails to reach nobody: 5).
    const small = join(dir, 'small.diff');
    await writeFile(small, 'diff --git a/x b/x\n+y\n');
    const sent = await assay(['score', '--repo', 'acme/api', '--diff-file', small], nowhere, { cwd: dir });
    assert.equal(sent.code, 5, sent.stderr);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
