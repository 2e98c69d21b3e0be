import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BadUserInputError } from '@assay/kit';
import { type DiffFile, InvalidDiffError, parseDiff } from '../src/scorers/parse-diff.ts';
import { WEIGHTS } from '../src/scorers/rules/criteria.ts';
import { MAX_REPORTED_PER_FILE_AND_RULE } from '../src/scorers/rules/rules.ts';
import { RulesScorer } from '../src/scorers/rules/rules-scorer.ts';
import type { ScoreContext, ScoreResult } from '../src/scorers/scorer.ts';

/** A new file holding `lines`. */
function newFile(path: string, lines: readonly string[]): string {
  return [
    `diff --git a/${path} b/${path}`,
    'new file mode 100644',
    'index 0000000..3b18e51',
    '--- /dev/null',
    `+++ b/${path}`,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((l) => `+${l}`),
    '',
  ].join('\n');
}

/** An edit of an existing file: two context lines, then `lines` added at line 12. */
function edit(path: string, lines: readonly string[]): string {
  return [
    `diff --git a/${path} b/${path}`,
    'index 83db48f..bf269f4 100644',
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -10,3 +10,${lines.length + 2} @@ export function handler() {`,
    ' const a = 1;',
    ' const b = 2;',
    ...lines.map((l) => `+${l}`),
    '-const old = 3;',
    '',
  ].join('\n');
}

const context = (signal = new AbortController().signal): ScoreContext => ({
  signal,
  progress: async () => {},
});
const score = (diff: string): Promise<ScoreResult> =>
  new RulesScorer().score({ repository: 'acme/api', prNumber: 7, title: 'Change', diff }, context());
const rulesOf = (result: ScoreResult) => result.violations.map((v) => v.rule);
const criterion = (result: ScoreResult, name: string) => result.criteria.find((c) => c.criterion === name)!;
const lines = (n: number, make: (i: number) => string) => Array.from({ length: n }, (_, i) => make(i));

const AWS_KEY = 'AKIAZ7Q2MPLX4RT9WBNK';
const TOKEN = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
const PASSWORD = 'Tr0ub4dor-and-3';
const CLEAN_CHANGE =
  edit('src/billing/invoice.ts', ['  const total = a + b;', '  return total;']) +
  edit('src/billing/invoice.test.ts', [
    "  assert.equal(total(1, 2), 3, 'adds');",
    '  assert.equal(total(0, 0), 0);',
  ]);

describe('parseDiff', () => {
  const only = (diff: string): DiffFile => {
    const files = parseDiff(diff);
    assert.equal(files.length, 1, JSON.stringify(files));
    return files[0]!;
  };

  test('an edit: added lines carry new-file line numbers, removed lines are counted', () => {
    const file = only(edit('src/a.ts', ['one', 'two']));
    assert.deepEqual(file, {
      path: 'src/a.ts',
      oldPath: null,
      status: 'modified',
      binary: false,
      added: [
        { line: 12, text: 'one' },
        { line: 13, text: 'two' },
      ],
      removed: 1,
    });
  });

  const statusCases: [string, string, Partial<DiffFile>][] = [
    [
      'new file',
      newFile('docs/new.md', ['# Title']),
      { path: 'docs/new.md', status: 'added', oldPath: null },
    ],
    [
      'deleted file',
      'diff --git a/old.txt b/old.txt\ndeleted file mode 100644\nindex e69de29..0000000\n--- a/old.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n',
      { path: 'old.txt', status: 'deleted', removed: 2, added: [] },
    ],
    [
      'pure rename',
      'diff --git a/src/old.ts b/src/new.ts\nsimilarity index 100%\nrename from src/old.ts\nrename to src/new.ts\n',
      { path: 'src/new.ts', oldPath: 'src/old.ts', status: 'renamed', added: [] },
    ],
    [
      'rename with an edit',
      'diff --git a/a b.ts b/c d.ts\nsimilarity index 90%\nrename from a b.ts\nrename to c d.ts\n--- a/a b.ts\n+++ b/c d.ts\n@@ -1 +1 @@\n-x\n+y\n',
      { path: 'c d.ts', oldPath: 'a b.ts', status: 'renamed', added: [{ line: 1, text: 'y' }], removed: 1 },
    ],
    [
      'copy',
      'diff --git a/a.ts b/b.ts\nsimilarity index 100%\ncopy from a.ts\ncopy to b.ts\n',
      { path: 'b.ts', oldPath: null, status: 'added' },
    ],
    [
      'binary, new',
      'diff --git a/img/logo.png b/img/logo.png\nnew file mode 100644\nindex 0000000..8e2f1c3\nBinary files /dev/null and b/img/logo.png differ\n',
      { path: 'img/logo.png', status: 'added', binary: true },
    ],
    [
      'binary, modified, with a GIT binary patch whose payload is not read as lines',
      'diff --git a/font.woff b/font.woff\nindex 1..2 100644\nGIT binary patch\nliteral 12\nTcmZ?wbhEHbRA4AxFaQ7m0{{R3\n\nliteral 0\nHcmV?d00001\n\n',
      { path: 'font.woff', status: 'modified', binary: true, added: [], removed: 0 },
    ],
    [
      'path with spaces, same on both sides',
      'diff --git a/my dir/b c.txt b/my dir/b c.txt\nold mode 100644\nnew mode 100755\n',
      { path: 'my dir/b c.txt', status: 'modified' },
    ],
    [
      'header without a/ b/ prefixes (--no-prefix), mode change only',
      'diff --git src/run.sh src/run.sh\nold mode 100644\nnew mode 100755\n',
      { path: 'src/run.sh', status: 'modified' },
    ],
    [
      'quoted path with octal-escaped UTF-8',
      'diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"\n--- "a/caf\\303\\251.txt"\n+++ "b/caf\\303\\251.txt"\n@@ -1 +1 @@\n-a\n+b\n',
      { path: 'café.txt', status: 'modified' },
    ],
    [
      'plain unified diff without git headers, with timestamps',
      '--- src/x.c\t2024-01-01 10:00:00\n+++ src/x.c\t2024-01-02 10:00:00\n@@ -1,2 +1,2 @@\n int a;\n-int b;\n+int c;\n',
      { path: 'src/x.c', status: 'modified', added: [{ line: 2, text: 'int c;' }], removed: 1 },
    ],
    [
      'CRLF line endings',
      'diff --git a/w.txt b/w.txt\r\n--- a/w.txt\r\n+++ b/w.txt\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n',
      { path: 'w.txt', added: [{ line: 1, text: 'b' }], removed: 1 },
    ],
  ];
  for (const [name, diff, expected] of statusCases) {
    test(name, () => {
      const file = only(diff);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(file[key as keyof DiffFile], value, key);
      }
    });
  }

  test('"\\ No newline at end of file" is neither a line nor a header, inside or after a hunk', () => {
    const file = only(
      'diff --git a/n.txt b/n.txt\n--- a/n.txt\n+++ b/n.txt\n@@ -1,2 +1,2 @@\n keep\n-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file\n',
    );
    assert.deepEqual(file.added, [{ line: 2, text: 'new' }]);
    assert.equal(file.removed, 1);
  });

  test('content that looks like a header stays content while the hunk lasts', () => {
    const file = only(
      'diff --git a/p.patch b/p.patch\n--- a/p.patch\n+++ b/p.patch\n@@ -1,1 +1,2 @@\n---- a/q\n++++ b/q\n+diff --git a/q b/q\n',
    );
    assert.equal(file.removed, 1);
    assert.deepEqual(
      file.added.map((a) => a.text),
      ['+++ b/q', 'diff --git a/q b/q'],
    );
  });

  test("lines beyond a hunk's counts are not content", () => {
    const file = only('diff --git a/c.ts b/c.ts\n--- a/c.ts\n+++ b/c.ts\n@@ -1,2 +1,1 @@\n-a\n+b\n+c\n-d\n');
    assert.deepEqual(file.added, [{ line: 1, text: 'b' }]);
    assert.equal(file.removed, 1);
  });

  test('several files, and a truncated hunk does not swallow the next file', () => {
    const files = parseDiff(
      `diff --git a/a.ts b/a.ts\n--- a/a.ts\n+++ b/a.ts\n@@ -1,5 +1,5 @@\n-x\n+y\n${newFile('b.ts', ['z'])}`,
    );
    assert.deepEqual(
      files.map((f) => [f.path, f.status, f.added.length]),
      [
        ['a.ts', 'modified', 1],
        ['b.ts', 'added', 1],
      ],
    );
  });

  const garbage: [string, string][] = [
    ['empty', ''],
    ['prose', 'Please review my change, it fixes the login bug.\nThanks!'],
    ['a hunk with no file', '@@ -1 +1 @@\n-a\n+b\n'],
    ['a header with no paths', 'diff --git\n--- \n'],
    ['control characters', '\u0000\u0001\uffff\n\r\n@@ @@\n+++\n---'],
  ];
  for (const [name, input] of garbage) {
    test(`garbage yields no files: ${name}`, () => assert.deepEqual(parseDiff(input), []));
  }

  test('never throws on random diff-shaped input', () => {
    const pieces = [
      'diff --git a/x b/x',
      '--- a/x',
      '+++ b/x',
      '@@ -1,2 +1,3 @@',
      '@@ -0,0 +1 @@',
      '+a',
      '-b',
    ];
    pieces.push(' c', '\\ No newline', 'rename from "q\\', 'Binary files', 'GIT binary patch', '', '"', '\r');
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let round = 0; round < 500; round++) {
      const input = lines(next() % 30, () => pieces[next() % pieces.length]!).join('\n');
      assert.doesNotThrow(() => parseDiff(input), input);
    }
  });
});

describe('RulesScorer rules', () => {
  // [rule, path, added line that must fire, another path or line that must not]
  const cases: [string, string, string, string, string][] = [
    [
      'aws_access_key',
      'src/aws.ts',
      `const id = '${AWS_KEY}';`,
      'src/aws.ts',
      "const id = 'AKIAIOSFODNN7EXAMPLE';",
    ],
    [
      'private_key',
      'deploy/id_rsa',
      '-----BEGIN OPENSSH PRIVATE KEY-----',
      'deploy/k.pem',
      '-----BEGIN PUBLIC KEY-----',
    ],
    [
      'private_key',
      'test/fixtures/key.pem',
      '-----BEGIN RSA PRIVATE KEY-----',
      'src/a.ts',
      "const k = 'key';",
    ],
    [
      'hardcoded_password',
      'app/settings.py',
      `DB_PASSWORD = "${PASSWORD}"`,
      'app/settings.py',
      'DB_PASSWORD = os.environ["DB_PASSWORD"]',
    ],
    [
      'hardcoded_password',
      'config/db.yml',
      `password: '${PASSWORD}'`,
      'config/db.yml',
      `password: '\${DB_PASSWORD}'`,
    ],
    [
      'hardcoded_password',
      'src/db.ts',
      `const opts = { password: '${PASSWORD}' };`,
      'test/db.test.ts',
      `password: '${PASSWORD}'`,
    ],
    [
      'api_token',
      'src/pay.ts',
      `const STRIPE_API_KEY = '${TOKEN}';`,
      'src/pay.ts',
      'const STRIPE_API_KEY = process.env.KEY;',
    ],
    [
      'api_token',
      'cfg/app.json',
      `  "auth_token": "${TOKEN}",`,
      'cfg/app.json',
      '  "tokenizer": "bert-base-multilingual-cased"',
    ],
    [
      'lint_disabled',
      'src/a.ts',
      '  // eslint-disable-next-line no-console',
      'docs/lint.md',
      'Use eslint-disable sparingly.',
    ],
    [
      'lint_disabled',
      'src/a.ts',
      '  // biome-ignore lint/suspicious/noExplicitAny: legacy',
      'src/a.ts',
      '  // biome is the linter',
    ],
    ['lint_disabled', 'app/m.py', 'import os  # noqa: F401', 'app/m.py', 'import os'],
    [
      'lint_disabled',
      'cmd/main.go',
      '\tdefer f.Close() //nolint:errcheck',
      'cmd/main.go',
      '\tdefer f.Close()',
    ],
    [
      'type_check_disabled',
      'src/a.ts',
      '  // @ts-ignore',
      'src/a.ts',
      '  // @ts-expect-error: upstream types are wrong',
    ],
    ['type_check_disabled', 'src/a.tsx', '// @ts-nocheck', 'src/a.tsx', '// checked'],
    ['type_check_disabled', 'app/m.py', 'x = f()  # type: ignore[attr-defined]', 'app/m.py', 'x: int = f()'],
    ['debug_statement', 'src/a.ts', '  console.log(user);', 'src/a.test.ts', '  console.log(user);'],
    ['debug_statement', 'src/a.js', '  debugger;', 'src/a.js', "  logger.info('debugger attached');"],
    ['debug_statement', 'app/m.py', '    print(result)', 'app/m.py', '    self.printer.print(result)'],
    [
      'debug_statement',
      'app/m.py',
      '    import pdb; pdb.set_trace()',
      'tests/test_m.py',
      '    print(result)',
    ],
    [
      'debug_statement',
      'app/models/user.rb',
      '    binding.pry',
      'app/models/user.rb',
      '    binding.local_variables',
    ],
    ['todo_added', 'src/a.ts', '  // TODO: handle retries', 'README.md', '- TODO: write the guide'],
    ['todo_added', 'src/a.go', '\t// FIXME(amy): leaks on error', 'src/a.go', '\t// fixed the leak'],
  ];

  for (const [rule, path, bad, cleanPath, clean] of cases) {
    test(`${rule} fires on ${path}: ${bad.trim()}`, async () => {
      const result = await score(edit(path, ['x', bad]));
      const found = result.violations.filter((v) => v.rule === rule);
      assert.equal(found.length, 1, JSON.stringify(result.violations));
      assert.equal(found[0]!.file, path);
      assert.equal(found[0]!.line, 13);
    });
    test(`${rule} stays quiet on ${cleanPath}: ${clean.trim()}`, async () => {
      const result = await score(edit(cleanPath, ['x', clean]));
      assert.deepEqual(
        result.violations.filter((v) => v.rule === rule),
        [],
      );
    });
  }

  test('secrets are reported but never echoed back', async () => {
    const diff = edit('src/config.ts', [
      `const id = '${AWS_KEY}';`,
      `const apiKey = '${TOKEN}';`,
      `const db = { password: '${PASSWORD}' };`,
      '-----BEGIN EC PRIVATE KEY-----',
      'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oBZ7KzCXtXbgoAoGCCqGSM49',
    ]);
    const result = await score(diff);
    assert.deepEqual(
      new Set(rulesOf(result)),
      new Set(['aws_access_key', 'api_token', 'hardcoded_password', 'private_key']),
    );
    const text = JSON.stringify(result);
    for (const secret of [
      AWS_KEY,
      TOKEN,
      PASSWORD,
      'MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oBZ7KzCXtXbgoAoGCCqGSM49',
    ]) {
      assert.ok(!text.includes(secret), `result echoes ${secret}`);
    }
    assert.equal(criterion(result, 'risky_additions').score, 0);
  });

  test('a clean, tested change has no violations and scores 10', async () => {
    const result = await score(CLEAN_CHANGE);
    assert.deepEqual(result.violations, []);
    assert.ok(
      result.criteria.every((c) => c.score === 10),
      JSON.stringify(result.criteria),
    );
    assert.equal(result.value, 10);
    assert.equal(result.band, 'EXCELLENT');
  });

  test('only lockfiles changed: flagged; with the manifest: not', async () => {
    const lock = edit('package-lock.json', ['      "version": "4.17.21",']);
    const lockOnly = await score(lock);
    assert.deepEqual(rulesOf(lockOnly), ['lockfile_only']);
    assert.equal(lockOnly.violations[0]!.file, 'package-lock.json');
    assert.ok(criterion(lockOnly, 'generated_files').score < 10);
    assert.match(criterion(lockOnly, 'generated_files').detail, /Only lockfiles/);

    const withManifest = await score(lock + edit('package.json', ['    "lodash": "^4.17.21",']));
    assert.deepEqual(withManifest.violations, []);
    assert.equal(criterion(withManifest, 'generated_files').score, 10);
  });

  const fileCases: [string, string, string][] = [
    ['generated_file', 'dist/index.js', newFile('dist/index.js', ['"use strict";'])],
    ['generated_file', 'public/vendor.min.js', edit('public/vendor.min.js', ['!function(){}();'])],
    ['generated_file', 'api/user_pb2.py', newFile('api/user_pb2.py', ['DESCRIPTOR = None'])],
    ['generated_file', 'src/schema.generated.ts', edit('src/schema.generated.ts', ['export type A = 1;'])],
    [
      'binary_file',
      'img/logo.png',
      'diff --git a/img/logo.png b/img/logo.png\nindex 1..2 100644\nBinary files a/img/logo.png and b/img/logo.png differ\n',
    ],
  ];
  for (const [rule, path, diff] of fileCases) {
    test(`${rule}: ${path}`, async () => {
      const result = await score(diff);
      assert.deepEqual(
        result.violations.map((v) => [v.rule, v.file, v.line]),
        [[rule, path, null]],
      );
      assert.equal(criterion(result, 'generated_files').score, 9);
    });
  }

  test('deleting build output is a clean-up, not a finding', async () => {
    const result = await score(
      'diff --git a/dist/a.js b/dist/a.js\ndeleted file mode 100644\n--- a/dist/a.js\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n',
    );
    assert.deepEqual(result.violations, []);
  });

  test('generated files do not count towards size or tests', async () => {
    const result = await score(
      newFile(
        'dist/bundle.js',
        lines(5000, (i) => `var a${i} = ${i};`),
      ),
    );
    assert.equal(criterion(result, 'change_size').score, 10);
    assert.equal(criterion(result, 'tests').score, 10);
  });

  const sizeCases: [number, number][] = [
    [100, 10],
    [101, 8],
    [400, 6],
    [1000, 4],
    [2000, 2],
    [2001, 0],
  ];
  for (const [n, expected] of sizeCases) {
    test(`change_size: ${n} lines scores ${expected}`, async () => {
      const result = await score(
        newFile(
          'docs/guide.md',
          lines(n, (i) => `line ${i}`),
        ),
      );
      assert.equal(criterion(result, 'change_size').score, expected);
    });
  }

  const testCases: [string, string, number][] = [
    ['no source code', newFile('docs/a.md', ['text']), 10],
    [
      'code without tests',
      newFile(
        'src/a.ts',
        lines(10, (i) => `export const a${i} = ${i};`),
      ),
      0,
    ],
    [
      'half as many test lines',
      newFile(
        'src/a.ts',
        lines(10, (i) => `export const a${i} = ${i};`),
      ) +
        newFile(
          'tests/a.ts',
          lines(5, () => 'ok();'),
        ),
      10,
    ],
    [
      'a token test',
      newFile(
        'src/a.py',
        lines(40, (i) => `a${i} = ${i}`),
      ) + newFile('tests/test_a.py', ['assert a0 == 0']),
      4,
    ],
    [
      'go tests by suffix',
      newFile(
        'pkg/a.go',
        lines(10, () => 'var x = 1'),
      ) +
        newFile(
          'pkg/a_test.go',
          lines(3, () => 'ok()'),
        ),
      8,
    ],
  ];
  for (const [name, diff, expected] of testCases) {
    test(`tests: ${name} scores ${expected}`, async () => {
      assert.equal(criterion(await score(diff), 'tests').score, expected);
    });
  }

  test('spread: many files in many directories scores low', async () => {
    const diff = lines(30, (i) => edit(`pkg${i}/mod.md`, ['x'])).join('');
    const result = await score(diff);
    assert.equal(criterion(result, 'spread').score, 2);
    assert.match(criterion(result, 'spread').detail, /30 files in 30 directories/);
  });

  test('many findings of one rule in one file are summed up after the first few', async () => {
    const result = await score(
      newFile(
        'src/noisy.ts',
        lines(25, (i) => `console.log(${i});`),
      ),
    );
    const debug = result.violations.filter((v) => v.rule === 'debug_statement');
    assert.equal(debug.length, MAX_REPORTED_PER_FILE_AND_RULE + 1);
    assert.deepEqual(
      debug.slice(0, 3).map((v) => v.line),
      [1, 2, 3],
    );
    assert.equal(debug.at(-1)!.line, null);
    assert.match(debug.at(-1)!.message, /^15 more debug_statement findings/);
    assert.equal(criterion(result, 'risky_additions').score, 0);
  });
});

describe('RulesScorer results', () => {
  test('same diff, same result; violations ordered by file, line, rule', async () => {
    const diff =
      edit('src/z.ts', ['// TODO: later', 'console.log(1); // TODO: now']) +
      newFile('dist/a.js', ['x']) +
      edit('src/b.py', ['print(x)  # noqa']);
    const first = await score(diff);
    assert.deepEqual(await score(diff), first);
    assert.deepEqual(
      first.violations.map((v) => [v.file, v.line, v.rule]),
      [
        ['dist/a.js', null, 'generated_file'],
        ['src/b.py', 12, 'debug_statement'],
        ['src/b.py', 12, 'lint_disabled'],
        ['src/z.ts', 12, 'todo_added'],
        ['src/z.ts', 13, 'debug_statement'],
        ['src/z.ts', 13, 'todo_added'],
      ],
    );
  });

  test('value is the weighted sum rounded to one decimal, weights sum to 1, scores within 0–10', async () => {
    const sum = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, String(sum));
    for (const diff of [CLEAN_CHANGE, newFile('src/a.ts', [`const k = '${AWS_KEY}'; // TODO`])]) {
      const result = await score(diff);
      assert.deepEqual(
        result.criteria.map((c) => c.criterion),
        Object.keys(WEIGHTS),
      );
      const weighted = result.criteria.reduce((total, c) => total + c.score * c.weight, 0);
      assert.equal(result.value, Math.round(weighted * 10) / 10);
      assert.ok(result.value >= 0 && result.value <= 10);
      for (const c of result.criteria) {
        assert.ok(c.score >= 0 && c.score <= 10, c.criterion);
        assert.match(c.detail, /^[^\n]+\.$/, c.criterion);
      }
      assert.equal(result.scorerVersion, 'rules@1');
    }
  });

  test('a small tested change outscores a huge untested one that adds a private key', async () => {
    const huge =
      lines(25, (i) =>
        newFile(
          `src/area${i}/module.ts`,
          lines(120, (j) => `export const v${j} = ${j};`),
        ),
      ).join('') +
      newFile('deploy/server.key', [
        '-----BEGIN PRIVATE KEY-----',
        'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
        '-----END PRIVATE KEY-----',
      ]);
    const good = await score(CLEAN_CHANGE);
    const bad = await score(huge);
    assert.ok(good.value > bad.value, `${good.value} vs ${bad.value}`);
    assert.equal(bad.band, 'POOR');
    assert.ok(rulesOf(bad).includes('private_key'));
  });

  test('a diff with no recognisable file is a typed client error', async () => {
    await assert.rejects(score('just some text, not a diff'), (error: unknown) => {
      assert.ok(error instanceof InvalidDiffError);
      assert.ok(error instanceof BadUserInputError);
      assert.equal(error.code, 'BAD_USER_INPUT');
      assert.equal(error.retryable, false);
      assert.match(error.message, /git diff/);
      return true;
    });
  });

  test('reports progress steps in order', async () => {
    const steps: [string, number][] = [];
    await new RulesScorer().score(
      { repository: 'acme/api', prNumber: null, title: null, diff: CLEAN_CHANGE },
      { signal: new AbortController().signal, progress: async (step, pct) => void steps.push([step, pct]) },
    );
    assert.deepEqual(steps, [
      ['parsing diff', 10],
      ['applying rules', 50],
      ['done', 100],
    ]);
  });

  test('an already aborted signal stops the scorer with its reason', async () => {
    const before = new AbortController();
    const reason = new Error('run cancelled');
    before.abort(reason);
    await assert.rejects(
      new RulesScorer().score(
        { repository: 'r', prNumber: null, title: null, diff: CLEAN_CHANGE },
        context(before.signal),
      ),
      (error) => error === reason,
    );
  });

  const STEPS = ['parsing diff', 'applying rules', 'done'];
  for (const [i, abortAt] of STEPS.entries()) {
    test(`aborted while reporting "${abortAt}": it stops there with an AbortError`, async () => {
      const controller = new AbortController();
      const steps: string[] = [];
      await assert.rejects(
        new RulesScorer().score(
          { repository: 'r', prNumber: null, title: null, diff: CLEAN_CHANGE },
          {
            signal: controller.signal,
            progress: async (step) => {
              steps.push(step);
              if (step === abortAt) controller.abort();
            },
          },
        ),
        { name: 'AbortError' },
      );
      assert.deepEqual(steps, STEPS.slice(0, i + 1));
    });
  }

  test('a 2 MB diff is scored in full (its speed is measured in bench/, not here)', async () => {
    const file = (i: number) =>
      newFile(
        `src/m${i % 40}/f${i}.ts`,
        lines(
          200,
          (j) => `export const value${j} = compute(${j}, 'some text to make the line longer'); // TODO`,
        ),
      );
    let diff = '';
    for (let i = 0; diff.length < 2_000_000; i++) diff += file(i);
    const result = await score(diff);
    assert.equal(criterion(result, 'change_size').score, 0);
  });
});
