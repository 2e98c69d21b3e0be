import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, credentialsFor, runScript, type Started, systemPorts } from '@assay/kit/testing';
import { type AuditFail, type AuditResult, serverAudits } from 'graphql-http';

// The GraphQL-over-HTTP audit suite (graphql-http's serverAudits) against the running gateway, as an
// authenticated client: every MUST passes. SHOULD/MAY findings are printed (see the README).

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let system: Started;
let url: string;
before(async () => {
  database = await createTestDatabase();
  system = runScript('scripts/start.ts', { DATABASE_URL: database.url, ...(await systemPorts()) });
  url = (await system.waitFor(/Assay is ready: (\S+)/, 180_000))[1]!;
});
after(async () => {
  if (system && system.child.exitCode === null) system.child.kill('SIGTERM');
  await system?.exited;
  await database?.drop();
});

test('every MUST audit of graphql-http passes against the gateway', { timeout: 60_000 }, async () => {
  const credentials = credentialsFor(url);
  assert.ok(credentials.authorization, 'the test system registered its development key');
  const fetchFn = (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', credentials.authorization!);
    return fetch(input, { ...init, headers });
  };
  const audits = serverAudits({ url, fetchFn });
  const results: AuditResult[] = [];
  for (const audit of audits) results.push(await audit.fn());
  assert.ok(results.length >= 13, `${results.length} audits ran`);

  const findings = results.filter((r): r is AuditFail => r.status !== 'ok');
  const count = (level: string) => results.filter((r) => r.name.startsWith(level)).length;
  process.stdout.write(
    `# graphql-http: ${results.length} audits (${count('MUST')} MUST, ${count('SHOULD')} SHOULD, ${count('MAY')} MAY), ${findings.length} not ok\n`,
  );
  for (const finding of findings) {
    process.stdout.write(`# ${finding.status} ${finding.id} ${finding.name}: ${finding.reason}\n`);
  }
  assert.deepEqual(
    findings.filter((r) => r.name.startsWith('MUST')).map((r) => `${r.name}: ${r.reason}`),
    [],
    'every MUST audit passes',
  );
  const must = results.filter((r) => r.name.startsWith('MUST'));
  assert.ok(must.length >= 13, `${must.length} MUST audits ran`);
});

test('outside production the IDE is served, with a CSP that lets it run, and introspection answers', async () => {
  const ide = await fetch(url, { headers: { accept: 'text/html' } });
  assert.equal(ide.status, 200);
  assert.match(ide.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await ide.text(), /<html/i);
  const csp = ide.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(ide.headers.get('x-frame-options'), 'DENY');
  const introspection = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...credentialsFor(url) },
    body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
  });
  assert.deepEqual(await introspection.json(), { data: { __schema: { queryType: { name: 'Query' } } } });
});
