import assert from 'node:assert/strict';
import { glob, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '@assay/kit';
import { ConfigError, variables } from '@assay/kit/operations';

describe('loadConfig', () => {
  it('applies defaults and coerces types', () => {
    const config = loadConfig(['ASSAY_SCORING_PORT', 'ASSAY_CORS_CREDENTIALS', 'LOG_LEVEL'], {});
    assert.deepEqual(config, {
      ASSAY_SCORING_PORT: 4001,
      ASSAY_CORS_CREDENTIALS: false,
      LOG_LEVEL: 'info',
    });
  });

  it('reports every malformed variable at once, naming each', () => {
    const error = capture(() =>
      loadConfig(['ASSAY_SCORING_PORT', 'LOG_LEVEL', 'ASSAY_DB_POOL_MAX'], {
        ASSAY_SCORING_PORT: 'eighty',
        LOG_LEVEL: 'loud',
        ASSAY_DB_POOL_MAX: '-3',
      }),
    );
    assert.deepEqual(
      error.problems.map((p) => p.split(' ')[0]),
      ['ASSAY_SCORING_PORT', 'LOG_LEVEL', 'ASSAY_DB_POOL_MAX'],
    );
    assert.match(error.message, /^invalid configuration: ASSAY_SCORING_PORT .*\(got "eighty"\)/);
    assert.ok(!error.message.includes('\n'), 'the message is one line');
  });

  it('rejects an unknown ASSAY_ variable and suggests the closest known one', () => {
    const error = capture(() => loadConfig(['ASSAY_SCORING_PORT'], { ASSAY_SCORNG_PORT: '1' }));
    assert.equal(
      error.problems[0],
      'ASSAY_SCORNG_PORT is not a known variable (did you mean ASSAY_SCORING_PORT?)',
    );
  });

  it('never echoes the value of a URL or key', () => {
    const error = capture(() =>
      loadConfig(['DATABASE_URL', 'OPENAI_API_KEY'], {
        DATABASE_URL: 'mysql://root:hunter2@db',
        OPENAI_API_KEY: '',
      }),
    );
    assert.match(error.message, /DATABASE_URL/);
    assert.ok(!error.message.includes('hunter2'));
  });

  it('parses model prices as JSON and names what is wrong with them', () => {
    const config = loadConfig(['ASSAY_LLM_PRICES'], { ASSAY_LLM_PRICES: '{"my-model": [1.5, 6]}' });
    assert.deepEqual(config.ASSAY_LLM_PRICES, { 'my-model': [1.5, 6] });
    for (const bad of ['{not json', '{"m": [1]}', '{"m": [-1, 2]}']) {
      const error = capture(() => loadConfig(['ASSAY_LLM_PRICES'], { ASSAY_LLM_PRICES: bad }));
      assert.match(error.message, /ASSAY_LLM_PRICES/);
    }
  });

  it('treats an empty value as unset', () => {
    assert.equal(loadConfig(['OPENAI_API_KEY'], { OPENAI_API_KEY: '' }).OPENAI_API_KEY, undefined);
  });

  it('declares every ASSAY_ variable the code reads: setting one never makes a service refuse to start', async () => {
    // A variable read straight from process.env but not declared is refused as unknown at start-up.
    const root = join(import.meta.dirname, '..', '..', '..');
    const read = new Set<string>();
    for (const dir of ['services', 'scripts']) {
      for await (const file of glob('**/*.ts', {
        cwd: join(root, dir),
        exclude: (f) => /node_modules|test/.test(f),
      })) {
        const text = await readFile(join(root, dir, file), 'utf8');
        for (const m of text.matchAll(/env(?:\?)?\.(ASSAY_[A-Z0-9_]+)/g)) read.add(m[1]!);
      }
    }
    assert.ok(read.size > 3, 'the scan found the variables the code reads');
    assert.deepEqual(
      [...read].filter((name) => !(name in variables)),
      [],
    );
  });
});

function capture(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail('expected a ConfigError');
}
