import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CONTEXT_HEADER, signContext } from '@assay/kit/auth';
import {
  connectionParamsFor,
  createTestDatabase,
  credentialsFor,
  freePort,
  gql,
  runScript,
  type Started,
  signedContext,
  systemPorts,
  TEST_CONTEXT_SECRET,
} from '@assay/kit/testing';
import { createClient } from 'graphql-ws';
import { exportJWK, SignJWT } from 'jose';
import WebSocket from 'ws';
import { AccessStore } from '../src/access/access-store.ts';

// The whole system as `npm start` runs it, with an SSO's JWKS served locally: every way in is
// authenticated at the gateway, every subgraph refuses what the gateway did not sign, and no key
// ever appears in a log line.

const ISSUER = 'https://sso.example.test';
const AUDIENCE = 'assay';
const DIFF = 'diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1 +1 @@\n-const a = 1;\n+const a = 2;\n';
const START = `mutation($input: StartScoringRunInput!) { startScoringRun(input: $input) { id status } }`;
const RUNS = '{ scoringRuns(first: 50) { nodes { id } } }';
const PROGRESS = 'subscription($id: ID!) { scoringRunProgress(runId: $id) { runId status } }';

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
const none = { authorization: '' };

describe('access: API keys and JWT at the gateway, signed contexts at the subgraphs', {
  timeout: 180_000,
}, () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let system: Started;
  let url: string;
  let ports: NodeJS.ProcessEnv;
  let store: AccessStore;
  let jwks: Server;
  const keys: Record<
    'read' | 'write' | 'admin' | 'expired' | 'revoked' | 'revokedElsewhere' | 'acme',
    string
  > = {} as never;
  const sso = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

  /** A token as the SSO would issue it for alice of acme; `claims` override any of it. */
  const token = (claims: Record<string, unknown>, key = sso) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'alice@example.test',
      iat: now,
      exp: now + 300,
      tenant: 'acme',
      scope: 'read write',
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'sso-1' })
      .sign(key.privateKey);
  };

  before(async () => {
    database = await createTestDatabase();
    const jwk = { ...(await exportJWK(sso.publicKey)), kid: 'sso-1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    const jwksPort = await freePort();
    await new Promise<void>((resolve) => jwks.listen(jwksPort, '127.0.0.1', resolve));
    ports = await systemPorts();
    system = runScript('scripts/start.ts', {
      DATABASE_URL: database.url,
      LOG_LEVEL: 'debug', // the most a log can say: none of it may hold a key
      ASSAY_JWKS_URL: `http://127.0.0.1:${jwksPort}/jwks.json`,
      ASSAY_JWT_ISSUER: ISSUER,
      ASSAY_JWT_AUDIENCE: AUDIENCE,
      ASSAY_API_KEY_CACHE_MS: '200',
      ...ports,
    });
    url = (await system.waitFor(/Assay is ready: (\S+)/))[1]!;
    await system.waitFor(/API key: /);

    store = new AccessStore(database.url);
    const operator = { tenant: 'default', subject: 'operator:test' };
    const create = async (
      scopes: ('read' | 'write' | 'admin')[],
      expiresAt: Date | null = null,
      tenant = 'default',
    ) => (await store.create({ tenant, name: `test ${scopes.join(',')}`, scopes, expiresAt }, operator)).key;
    keys.read = await create(['read']);
    keys.write = await create(['write']);
    keys.expired = await create(['write'], new Date(Date.now() - 1000));
    keys.revoked = await create(['write']);
    keys.revokedElsewhere = await create(['write']);
    keys.acme = await create(['write'], null, 'acme');
    // An admin key made through GraphQL, with the development key (an admin of the default tenant).
    const created = await gql(
      url,
      'mutation { createApiKey(input: { name: "ci admin", scopes: ["admin"] }) { key apiKey { prefix scopes } } }',
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    keys.admin = created.data!.createApiKey.key;
    assert.match(keys.admin, /^assay_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
  });
  after(async () => {
    if (system && system.child.exitCode === null) system.child.kill('SIGTERM');
    await system?.exited;
    await store?.pool.end();
    jwks?.close();
    await database?.drop();
  });

  const start = (headers: Record<string, string>) =>
    gql(url, START, { input: { subject: { repository: 'acme/api', prNumber: 1, diff: DIFF } } }, headers);

  it('no credential, a malformed, unknown, expired or revoked key: 401 UNAUTHENTICATED, saying why', async () => {
    const [prefix] = /^assay_[0-9a-f]{12}/.exec(keys.read)!;
    const cases: [Record<string, string>, RegExp][] = [
      [none, /send "Authorization: Bearer/],
      [{ authorization: keys.read }, /must be "Bearer/],
      [bearer('not-a-key'), /not a valid JWT|not an Assay API key/],
      [bearer(`${prefix}_${'A'.repeat(43)}`), /unknown API key/],
      [bearer(`assay_${'0'.repeat(12)}_${'A'.repeat(43)}`), /unknown API key/],
      [bearer(keys.expired), /has expired/],
    ];
    for (const [headers, reason] of cases) {
      const result = await gql(url, RUNS, {}, headers);
      assert.equal(result.status, 401, JSON.stringify(result));
      assert.equal(result.data, undefined);
      assert.equal(result.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.match(result.errors![0]!.message, reason);
    }

    // Revoked through GraphQL: refused at once by this gateway.
    assert.equal((await gql(url, RUNS, {}, bearer(keys.revoked))).status, 200);
    const revokedPrefix = /^assay_([0-9a-f]{12})/.exec(keys.revoked)![1]!;
    const listed = await gql(url, '{ apiKeys { id prefix } }', {}, bearer(keys.admin));
    const id = listed.data!.apiKeys.find((k: { prefix: string }) => k.prefix === revokedPrefix).id;
    const revoked = await gql(
      url,
      'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
      { id },
      bearer(keys.admin),
    );
    assert.ok(revoked.data?.revokeApiKey.revokedAt, JSON.stringify(revoked));
    const after = await gql(url, RUNS, {}, bearer(keys.revoked));
    assert.equal(after.status, 401);
    assert.match(after.errors![0]!.message, /revoked/);

    // Revoked by an operator elsewhere (npm run keys): refused once the cached row is stale.
    assert.equal((await gql(url, RUNS, {}, bearer(keys.revokedElsewhere))).status, 200);
    await store.revoke(/^assay_([0-9a-f]{12})/.exec(keys.revokedElsewhere)![1]!, {
      tenant: 'default',
      subject: 'operator:test',
    });
    let status = 200;
    for (let i = 0; i < 100 && status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await gql(url, RUNS, {}, bearer(keys.revokedElsewhere))).status;
    }
    assert.equal(status, 401, 'a revoked key is refused within the cache time');
  });

  it('scopes: read may query, not mutate (403 FORBIDDEN); write may mutate, not manage keys; admin may', async () => {
    const read = await gql(url, RUNS, {}, bearer(keys.read));
    assert.equal(read.status, 200);
    assert.equal(read.errors, undefined);

    const refused = await start(bearer(keys.read));
    assert.equal(refused.status, 403, JSON.stringify(refused));
    assert.equal(refused.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.match(refused.errors![0]!.message, /"write" scope/);

    const started = await start(bearer(keys.write));
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    assert.equal(started.data!.startScoringRun.status, 'QUEUED');

    for (const key of [keys.read, keys.write]) {
      const keysQuery = await gql(url, '{ apiKeys { id } }', {}, bearer(key));
      assert.equal(keysQuery.errors?.[0]?.extensions?.code, 'FORBIDDEN');
      assert.match(keysQuery.errors![0]!.message, /"admin" scope/);
      const dlq = await gql(url, '{ persistenceFailures { nodes { id } } }', {}, bearer(key));
      assert.equal(dlq.errors?.[0]?.extensions?.code, 'FORBIDDEN', JSON.stringify(dlq));
    }
    const listed = await gql(
      url,
      '{ apiKeys { prefix scopes createdBy } persistenceFailures { nodes { id } } }',
      {},
      bearer(keys.admin),
    );
    assert.equal(listed.errors, undefined, JSON.stringify(listed.errors));
    assert.ok(listed.data!.apiKeys.length >= 7);
    // Key management is per tenant: acme's key is not in the default tenant's list.
    const acmePrefix = /^assay_([0-9a-f]{12})/.exec(keys.acme)![1]!;
    assert.equal(
      listed.data!.apiKeys.some((k: { prefix: string }) => k.prefix === acmePrefix),
      false,
    );
  });

  it('graphql-ws: the key in connection_init; none or a bad one closes the socket 4403; SSE needs it too', async () => {
    const started = await start(bearer(keys.write));
    const runId = started.data!.startScoringRun.id as string;

    for (const connectionParams of [
      {},
      { authorization: 'Bearer assay_000000000000_AAAA' },
      bearer(keys.expired),
    ]) {
      const client = createClient({
        url: url.replace(/^http/, 'ws'),
        connectionParams,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
      });
      const closed = await new Promise<number>((resolve) =>
        client.on('closed', (event) => resolve((event as { code: number }).code)),
      );
      assert.equal(closed, 4403);
      await client.dispose();
    }

    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      connectionParams: bearer(keys.read),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    const statuses: string[] = [];
    for await (const result of client.iterate<{ scoringRunProgress: { status: string } }>({
      query: PROGRESS,
      variables: { id: runId },
    })) {
      assert.equal(result.errors, undefined, JSON.stringify(result.errors));
      statuses.push(result.data!.scoringRunProgress.status);
    }
    assert.equal(statuses.at(-1), 'DONE');
    await client.dispose();

    const sse = (headers: Record<string, string>) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query: PROGRESS, variables: { id: runId } }),
      });
    const refused = await sse({});
    assert.equal(refused.status, 401);
    await refused.body?.cancel();
    const accepted = await sse(bearer(keys.read));
    assert.equal(accepted.status, 200);
    const text = await accepted.text();
    assert.match(text, /"status":"DONE"/);
  });

  it('JWT from the SSO: issuer, audience, expiry and signature checked; tenant and scopes from claims', async () => {
    const good = await token({});
    const ok = await gql(url, RUNS, {}, bearer(good));
    assert.equal(ok.status, 200, JSON.stringify(ok));
    assert.deepEqual(ok.data!.scoringRuns.nodes, [], 'acme sees none of the default tenant’s runs');
    const started = await start(bearer(good));
    assert.equal(started.errors, undefined, JSON.stringify(started.errors));
    const own = await gql(url, RUNS, {}, bearer(keys.acme));
    assert.deepEqual(
      own.data!.scoringRuns.nodes.map((n: { id: string }) => n.id),
      [started.data!.startScoringRun.id],
      'a person’s run and the tenant’s CI key’s runs are one tenant’s',
    );

    const readOnly = await start(bearer(await token({ scope: 'read' })));
    assert.equal(readOnly.status, 403);
    assert.equal(readOnly.errors?.[0]?.extensions?.code, 'FORBIDDEN');

    const refused: [string, RegExp][] = [
      [await token({ aud: 'someone-else' }), /"aud" claim/],
      [await token({ iss: 'https://evil.example.test' }), /"iss" claim/],
      [await token({ exp: Math.floor(Date.now() / 1000) - 60 }), /expired/],
      [await token({}, stranger), /signature|known key/],
      [await token({ tenant: 'Not A Tenant!' }), /"tenant" claim/],
      [await token({ scope: 'superuser' }), /no Assay scope/],
    ];
    for (const [jwt, reason] of refused) {
      const result = await gql(url, RUNS, {}, bearer(jwt));
      assert.equal(result.status, 401, JSON.stringify(result));
      assert.equal(result.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      assert.match(result.errors![0]!.message, reason);
      assert.doesNotMatch(result.errors![0]!.message, /127\.0\.0\.1|jwks/i, 'the provider URL stays private');
    }
  });

  it('each subgraph refuses a request the gateway did not sign: none, forged, tampered, expired; health stays open', async () => {
    const subgraphs = ['ASSAY_SCORING_PORT', 'ASSAY_REVIEW_PORT', 'ASSAY_FAILURE_CATALOG_PORT'].map(
      (v) => `http://127.0.0.1:${ports[v]}`,
    );
    const valid = signedContext('default', ['read'], 'test');
    const [version, body, mac] = valid.split('.');
    const tampered = `${version}.${Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), t: 'acme' }),
    ).toString('base64url')}.${mac}`;
    const forged: Record<string, string>[] = [
      { authorization: '', [CONTEXT_HEADER]: '' },
      { [CONTEXT_HEADER]: JSON.stringify({ tenant: 'default', scopes: ['admin'] }) },
      {
        [CONTEXT_HEADER]: signContext(
          { tenant: 'default', scopes: ['admin'], subject: 'x' },
          'not-the-secret',
          Date.now() + 60_000,
        ),
      },
      { [CONTEXT_HEADER]: tampered },
      {
        [CONTEXT_HEADER]: signContext(
          { tenant: 'default', scopes: ['admin'], subject: 'x' },
          TEST_CONTEXT_SECRET,
          Date.now() - 1000,
        ),
      },
      // A gateway credential is not a subgraph credential.
      { [CONTEXT_HEADER]: '', ...credentialsFor(url) },
    ];
    for (const base of subgraphs) {
      for (const headers of forged) {
        const result = await gql(`${base}/graphql`, '{ __typename }', {}, headers);
        assert.equal(result.status, 401, `${base} ${JSON.stringify(headers)}: ${JSON.stringify(result)}`);
        assert.equal(result.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
      }
      assert.equal(
        (await gql(`${base}/graphql`, '{ __typename }', {}, { [CONTEXT_HEADER]: valid })).status,
        200,
      );
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/metrics`)).status, 200);

      // graphql-ws straight to the subgraph with a forged context: refused before anything runs.
      const client = createClient({
        url: `${base.replace(/^http/, 'ws')}/graphql`,
        connectionParams: { [CONTEXT_HEADER]: tampered },
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
      });
      const code = await new Promise<number>((resolve) =>
        client.on('closed', (event) => resolve((event as { code: number }).code)),
      );
      assert.equal(code, 4403, base);
      await client.dispose();
    }
    // The tests' own signed contexts do work, so the refusals above are about the credential.
    const direct = createClient({
      url: `${subgraphs[0]!.replace(/^http/, 'ws')}/graphql`,
      connectionParams: connectionParamsFor(subgraphs[0]!),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    const result = await direct.iterate({ query: PROGRESS, variables: { id: randomUUID() } }).next();
    assert.notEqual(result.value?.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    await direct.dispose();
  });

  it('no key is ever logged, and none is returned after creation', async () => {
    const listed = await gql(
      url,
      '{ apiKeys { id prefix name scopes createdBy expiresAt revokedAt lastUsedAt } }',
      {},
      bearer(keys.admin),
    );
    const text = JSON.stringify(listed);
    const output = system.output();
    for (const key of Object.values(keys)) {
      // assay_<prefix>_<secret>: the secret is base64url, which may itself hold '_' (CI once split
      // off an empty piece, which every text "includes").
      const secret = key.slice('assay_'.length + 13);
      assert.equal(secret.length, 43, 'the whole secret is searched for');
      assert.equal(text.includes(secret), false, 'apiKeys never shows a key');
      assert.equal(output.includes(secret), false, 'no log line holds a key');
    }
    // The development key is printed once, by design, beside the URL; never again.
    const devKey = credentialsFor(url).authorization!.replace('Bearer ', '');
    const printed = output.split(devKey).length - 1;
    assert.ok(printed <= 1, `the development key appears ${printed} times`);
    assert.match(
      output,
      /"level":"?(debug|20)/,
      'debug logs were written, so the search above means something',
    );
  });
});
