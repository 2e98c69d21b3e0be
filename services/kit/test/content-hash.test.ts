import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, contentHash } from '../src/persistence/content-hash.ts';

describe('content hash', () => {
  test('ignores key order at every depth, as JSONB does', () => {
    assert.equal(
      contentHash({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }),
      contentHash({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
  });
  test('changes with any value, and with array order', () => {
    const base = contentHash({ a: [1, 2], b: 'x' });
    assert.notEqual(base, contentHash({ a: [2, 1], b: 'x' }));
    assert.notEqual(base, contentHash({ a: [1, 2], b: 'y' }));
    assert.notEqual(base, contentHash({ a: [1, 2], b: 'x', c: null }));
  });
  test('writes dates as ISO strings and drops undefined members', () => {
    assert.equal(canonicalJson({ at: new Date(0), gone: undefined }), '{"at":"1970-01-01T00:00:00.000Z"}');
    assert.match(contentHash('x'), /^[0-9a-f]{64}$/);
  });
  test('refuses a number JSON cannot hold', () => {
    assert.throws(() => contentHash({ v: Number.NaN }), TypeError);
  });
});
