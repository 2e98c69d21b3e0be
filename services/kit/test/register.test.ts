import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const REGISTER = join(import.meta.dirname, '..', 'register.mjs');

test('the TypeScript hook caches by content: an edited file is transformed again, never served stale', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'assay-register-'));
  try {
    const file = join(dir, 'value.ts');
    const run = () =>
      execFileSync(process.execPath, ['--import', REGISTER, file], { encoding: 'utf8' }).trim();
    // A decorator and its metadata: what Node's own type stripping could not run.
    const source = (v: number) =>
      `const mark = (_t: object, _k: string) => {};\nclass A { @mark value: number = ${v}; }\nconsole.log(new A().value, typeof Reflect.getMetadata('design:type', A.prototype, 'value'));\n`;
    await writeFile(file, source(1));
    assert.equal(run(), '1 function');
    assert.equal(run(), '1 function', 'served from the cache');
    await writeFile(file, source(2));
    assert.equal(run(), '2 function');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
