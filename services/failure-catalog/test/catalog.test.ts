import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CatalogEntry } from '../src/catalog/catalog-entry.entity.ts';
import { loadDefaultCatalog } from '../src/catalog/default-catalog.ts';
import { compileMatcher, patternProblem } from '../src/catalog/matcher.ts';

const entry = (fields: Partial<CatalogEntry>): CatalogEntry =>
  ({ codePrefix: null, messagePattern: null, keywords: [], ...fields }) as CatalogEntry;

const CATALOG = [
  entry({ errorCode: 'LLM_REQUEST_FAILED', codePrefix: 'LLM_' }),
  entry({ errorCode: 'LLM_RATE_LIMIT_FAMILY', codePrefix: 'LLM_RATE_' }),
  entry({ errorCode: 'DISK_FULL', messagePattern: 'no space left on device' }),
  entry({ errorCode: 'DATABASE_UNAVAILABLE', keywords: ['database', 'unavailable', 'connection'] }),
];
const match = compileMatcher(CATALOG);

describe('matching, first hit wins', () => {
  const TABLE: [string, string, string | null, string, string | null, number][] = [
    ['EXACT code', 'LLM_REQUEST_FAILED', null, 'EXACT', 'LLM_REQUEST_FAILED', 1],
    ['PREFIX family, longest first', 'LLM_RATE_LIMITED', null, 'PREFIX', 'LLM_RATE_LIMIT_FAMILY', 0.9],
    ['PREFIX family', 'LLM_TIMEOUT', null, 'PREFIX', 'LLM_REQUEST_FAILED', 0.9],
    [
      'PATTERN on the message, any case',
      'WRITE_FAILED',
      'ENOSPC: No space left on device',
      'PATTERN',
      'DISK_FULL',
      0.8,
    ],
    [
      'KEYWORD overlap (2 of 3)',
      'PG_GONE',
      'the database connection dropped',
      'KEYWORD',
      'DATABASE_UNAVAILABLE',
      0.47,
    ],
    [
      'KEYWORD overlap (3 of 3)',
      'PG_GONE',
      'database unavailable: connection refused',
      'KEYWORD',
      'DATABASE_UNAVAILABLE',
      0.7,
    ],
    ['one keyword alone never matches', 'PG_GONE', 'database is slow', 'NONE', null, 0],
    ['generic words alone never match', 'X_Y', 'error: request failed for the run', 'NONE', null, 0],
    ['nothing known', 'SOMETHING_NEW', 'a brand new failure', 'NONE', null, 0],
  ];
  for (const [name, code, message, type, entryCode, confidence] of TABLE) {
    test(name, () => {
      const m = match(code, message);
      assert.deepEqual(
        { type: m.type, entry: m.entry?.errorCode ?? null, confidence: m.confidence },
        { type, entry: entryCode, confidence },
      );
    });
  }
});

describe('the guard against slow patterns', () => {
  test('patterns with nested quantifiers, too long or not compiling are refused', () => {
    assert.match(patternProblem('(a+)+$')!, /nests quantifiers/);
    assert.match(patternProblem('(\\w*)*x')!, /nests quantifiers/);
    assert.match(patternProblem('x'.repeat(201))!, /over 200/);
    assert.match(patternProblem('(unclosed')!, /does not compile/);
    assert.equal(patternProblem('timeout after \\d+ ms'), null);
  });

  test('a refused pattern is never compiled, and a 1 MB message is matched on its first 2000 characters', () => {
    const guarded = compileMatcher([entry({ errorCode: 'EVIL', messagePattern: '(a+)+$' }), ...CATALOG]);
    const huge = `${'a'.repeat(1024 * 1024)}!`;
    assert.equal(guarded('X', huge).type, 'NONE');
    assert.equal(
      guarded('X', `${'b'.repeat(3000)} no space left on device`).type,
      'NONE',
      'beyond the bound',
    );
  });
});

/** Every error code the services' code can emit: typed errors, run failures, result codes. */
async function codesInCode(): Promise<Set<string>> {
  const root = join(import.meta.dirname, '..', '..');
  const codes = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const item of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, item.name);
      if (item.isDirectory()) {
        if (item.name !== 'testing') await walk(path);
      } else if (item.name.endsWith('.ts')) {
        const text = await readFile(path, 'utf8');
        const pattern =
          /(?:AppError\(\s*|super\(\s*|code: )'([A-Z][A-Z0-9_]+)'|'([A-Z][A-Z0-9]*_NOT_STORED)'/g;
        for (const m of text.matchAll(pattern)) codes.add(m[1] ?? m[2]!);
      }
    }
  };
  for (const service of ['kit', 'scoring', 'review', 'failure-catalog', 'gateway'])
    await walk(join(root, service, 'src'));
  return codes;
}

test('the shipped catalog has an entry for every error code any Assay service can emit', async () => {
  const catalogued = new Set(loadDefaultCatalog().map((e) => e.errorCode));
  const codes = await codesInCode();
  assert.ok(codes.has('LLM_REQUEST_FAILED') && codes.has('REVIEW_QUORUM_NOT_MET'), `found ${[...codes]}`);
  assert.deepEqual([...codes].filter((c) => !catalogued.has(c)).sort(), []);
  for (const e of loadDefaultCatalog())
    if (e.messagePattern) assert.equal(patternProblem(e.messagePattern), null);
});
