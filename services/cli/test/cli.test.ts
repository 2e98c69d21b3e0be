import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfig } from '../src/config.ts';
import { UsageError } from '../src/exit-codes.ts';
import { defaultIdempotencyKey } from '../src/input/diff-input.ts';
import { annotation } from '../src/output/github.ts';

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
