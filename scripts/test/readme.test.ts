import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { README_PATH, withConfigTable } from '../config-table.ts';

test('the README configuration table lists exactly the variables the code reads', () => {
  const readme = readFileSync(README_PATH, 'utf8');
  assert.equal(readme, withConfigTable(readme), 'README.md is stale: run npm run docs:config');
});
