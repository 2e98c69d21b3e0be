import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  LlmIncompleteError,
  LlmInvalidOutputError,
  LlmRefusalError,
  LlmRequestError,
  retryAfterMs,
} from '@assay/kit/llm';
import { FakeOpenAI } from '@assay/kit/testing';
import { LlmScorer, type LlmScorerOptions } from '../src/scorers/llm/llm-scorer.ts';
import { INSTRUCTIONS, truncateDiff } from '../src/scorers/llm/prompt.ts';
import { parseScoreOutput } from '../src/scorers/llm/score-output.ts';
import { SCORE_FORMAT_NAME, scoreSchema } from '../src/scorers/llm/score-schema.ts';
import type { ScoreContext } from '../src/scorers/scorer.ts';

/** The fields of a Responses API request the tests look at. */
interface SentBody {
  model: string;
  instructions: string;
  input: string;
  store: boolean;
  text: unknown;
}

interface SchemaNode {
  type?: unknown;
  required?: string[];
  additionalProperties?: unknown;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

const API_KEY = 'sk-test-do-not-leak-0123456789';
const DIFF = [
  'diff --git a/src/parse.ts b/src/parse.ts',
  '--- a/src/parse.ts',
  '+++ b/src/parse.ts',
  '@@ -1,3 +1,5 @@',
  ' export function parse(input: string) {',
  '+  if (input === "") return null;',
  '+  try { return JSON.parse(input); } catch {}',
  ' }',
  '',
].join('\n');

const SUBJECT = { repository: 'acme/api', prNumber: 42, title: 'Handle empty input', diff: DIFF };

/** A valid answer, deliberately unsorted. */
const ANSWER = {
  value: 7.46,
  criteria: [
    { criterion: 'error_handling', score: 5, weight: 0.4, detail: 'The empty catch hides parse errors.' },
    { criterion: 'correctness', score: 9, weight: 0.6, detail: 'Empty input is handled.' },
  ],
  violations: [
    { file: 'src/parse.ts', line: 7, rule: 'no-empty-catch', severity: 'HIGH', message: 'Empty catch.' },
    { file: 'src/parse.ts', line: null, rule: 'missing-test', severity: 'LOW', message: 'No test.' },
    { file: 'src/parse.ts', line: 7, rule: 'no-empty-catch', severity: 'CRITICAL', message: 'Swallows.' },
    { file: 'README.md', line: 3, rule: 'docs', severity: 'INFO', message: 'Mention it.' },
  ],
};

describe('LlmScorer against a fake Responses API', () => {
  let fake: FakeOpenAI;
  before(async () => {
    fake = await FakeOpenAI.start();
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  const scorer = (options: Partial<LlmScorerOptions> = {}) =>
    new LlmScorer({
      apiKey: API_KEY,
      baseURL: fake.url,
      timeoutMs: 2000,
      maxRetries: 2,
      retryBaseMs: 5,
      retryMaxMs: 50,
      ...options,
    });
  const body = (index: number) => fake.requests[index]!.body as SentBody;

  test('scores: the answer becomes a sorted result with band and version', async () => {
    fake.enqueue({ kind: 'json', output: ANSWER });
    const context = recordingContext();

    const result = await scorer().score(SUBJECT, context);

    assert.deepEqual(result, {
      value: 7.5,
      band: 'GOOD',
      criteria: [ANSWER.criteria[1], ANSWER.criteria[0]],
      violations: [ANSWER.violations[3], ANSWER.violations[1], ANSWER.violations[2], ANSWER.violations[0]],
      scorerVersion: 'llm:gpt-5-mini@1',
    });
    assert.deepEqual(context.steps, [
      ['llm request', 10],
      ['llm answer received', 90],
    ]);
  });

  test('sends the model, strict json_schema format, instructions and the diff', async () => {
    fake.enqueue({ kind: 'json', output: ANSWER });

    const result = await scorer({ model: 'gpt-4.1-mini' }).score(SUBJECT, recordingContext());

    assert.equal(result.scorerVersion, 'llm:gpt-4.1-mini@1');
    assert.equal(fake.requests.length, 1);
    const request = fake.requests[0]!;
    assert.equal(request.method, 'POST');
    assert.equal(request.path, '/v1/responses');
    assert.equal(body(0).model, 'gpt-4.1-mini');
    assert.deepEqual(body(0).text, {
      format: { type: 'json_schema', name: SCORE_FORMAT_NAME, schema: scoreSchema, strict: true },
    });
    assert.equal(body(0).instructions, INSTRUCTIONS);
    assert.equal(body(0).store, false);
    assert.ok(body(0).input.includes(DIFF), 'the diff is in the input');
    assert.match(body(0).input, /Repository: acme\/api\nPull request: #42\nTitle: Handle empty input/);
    assert.equal(request.headers.authorization, undefined, 'the fake never records the key');
  });

  test('truncates a long diff at a line break with a marker', async () => {
    fake.enqueue({ kind: 'json', output: ANSWER });
    const diff = `${'+kept line\n'.repeat(10)}+tail that must not be sent\n`;

    await scorer({ maxDiffChars: 50 }).score({ ...SUBJECT, diff }, recordingContext());

    const input: string = body(0).input;
    assert.ok(input.includes(`${'+kept line\n'.repeat(4)}[... diff truncated: `));
    assert.ok(!input.includes('tail that must not be sent'));
  });

  test('429 with retry-after-ms: waits at least that long, then succeeds', async () => {
    fake.enqueue(
      { kind: 'error', status: 429, headers: { 'retry-after-ms': '200' } },
      { kind: 'json', output: ANSWER },
    );
    const context = recordingContext();

    const result = await scorer({ retryMaxMs: 1000 }).score(SUBJECT, context);

    assert.equal(result.value, 7.5);
    assert.equal(fake.requests.length, 2);
    assert.ok(gapMs(fake, 0, 1) >= 195, `waited ${gapMs(fake, 0, 1)} ms`);
    assert.deepEqual(context.steps, [
      ['llm request', 10],
      ['llm request, attempt 2', 10],
      ['llm answer received', 90],
    ]);
  });

  test('429 with retry-after in seconds: honoured, but never longer than retryMaxMs', async () => {
    fake.enqueue({ kind: 'error', status: 429, retryAfter: 30 }, { kind: 'json', output: ANSWER });

    await scorer({ retryBaseMs: 1, retryMaxMs: 150 }).score(SUBJECT, recordingContext());

    assert.equal(fake.requests.length, 2);
    // Base backoff alone would be ~1 ms; 150 ms proves the header was read and then capped.
    assert.ok(gapMs(fake, 0, 1) >= 145, `waited ${gapMs(fake, 0, 1)} ms`);
  });

  test('503 twice, then success: three requests', async () => {
    fake.enqueue(
      { kind: 'error', status: 503 },
      { kind: 'error', status: 503 },
      { kind: 'json', output: ANSWER },
    );

    const result = await scorer().score(SUBJECT, recordingContext());

    assert.equal(result.band, 'GOOD');
    assert.equal(fake.requests.length, 3);
  });

  test('500, 502 and 504 are retried', async () => {
    for (const status of [500, 502, 504]) {
      fake.reset();
      fake.enqueue({ kind: 'error', status }, { kind: 'json', output: ANSWER });
      await scorer().score(SUBJECT, recordingContext());
      assert.equal(fake.requests.length, 2, `status ${status}`);
    }
  });

  test('a transient failure past maxRetries: retryable LlmRequestError after maxRetries + 1 requests', async () => {
    fake.otherwise({ kind: 'error', status: 503 });

    const error = await rejection(scorer({ maxRetries: 2 }).score(SUBJECT, recordingContext()));

    assert.ok(error instanceof LlmRequestError);
    assert.equal(error.code, 'LLM_REQUEST_FAILED');
    assert.equal(error.reason, 'unavailable');
    assert.equal(error.status, 503);
    assert.equal(error.retryable, true);
    assert.equal(error.attempts, 3);
    assert.equal(fake.requests.length, 3);
  });

  for (const status of [400, 401, 403, 404, 422]) {
    test(`${status} is not retried: one request, non-retryable LlmRequestError`, async () => {
      fake.otherwise({ kind: 'error', status, message: `Incorrect API key provided: ${API_KEY}` });

      const error = await rejection(scorer().score(SUBJECT, recordingContext()));

      assert.ok(error instanceof LlmRequestError);
      assert.equal(error.status, status);
      assert.equal(error.retryable, false);
      assert.equal(error.attempts, 1);
      assert.equal(fake.requests.length, 1);
      // The upstream message echoes the key; the error keeps only structured fields.
      assert.ok(!`${error.message} ${JSON.stringify(error)}`.includes(API_KEY));
    });
  }

  test('401 carries the upstream code and request id', async () => {
    fake.enqueue({ kind: 'error', status: 401 });

    const error = await rejection(scorer().score(SUBJECT, recordingContext()));

    assert.ok(error instanceof LlmRequestError);
    assert.equal(error.reason, 'unauthorized');
    assert.equal(error.upstreamCode, 'invalid_api_key');
    assert.match(error.requestId ?? '', /^req_/);
  });

  test('a hanging server: each attempt times out, then a retryable timeout error', async () => {
    fake.otherwise({ kind: 'hang' });

    const error = await rejection(
      scorer({ timeoutMs: 200, maxRetries: 1 }).score(SUBJECT, recordingContext()),
    );

    assert.ok(error instanceof LlmRequestError);
    assert.equal(error.reason, 'timeout');
    assert.equal(error.status, null);
    assert.equal(error.retryable, true);
    assert.equal(error.attempts, 2);
    assert.equal(fake.requests.length, 2);
    assert.ok(gapMs(fake, 0, 1) >= 195, 'the second attempt started after the first timed out');
  });

  test('a timeout, then an answer: retried and scored', async () => {
    fake.enqueue({ kind: 'hang' }, { kind: 'json', output: ANSWER });

    const result = await scorer({ timeoutMs: 200 }).score(SUBJECT, recordingContext());

    assert.equal(result.value, 7.5);
    assert.equal(fake.requests.length, 2);
  });

  test('a connection reset is retried', async () => {
    fake.enqueue({ kind: 'reset' }, { kind: 'json', output: ANSWER });

    const result = await scorer().score(SUBJECT, recordingContext());

    assert.equal(result.value, 7.5);
    assert.equal(fake.requests.length, 2);
  });

  test('resets past maxRetries: a retryable connection error', async () => {
    fake.otherwise({ kind: 'reset' });

    const error = await rejection(scorer({ maxRetries: 1 }).score(SUBJECT, recordingContext()));

    assert.ok(error instanceof LlmRequestError);
    assert.equal(error.reason, 'connection');
    assert.equal(error.retryable, true);
    assert.equal(fake.requests.length, 2);
  });

  test('malformed JSON output: LlmInvalidOutputError, not retried', async () => {
    fake.otherwise({ kind: 'text', text: '{"value": 7.5, "criteria": [' });

    const error = await rejection(scorer().score(SUBJECT, recordingContext()));

    assert.ok(error instanceof LlmInvalidOutputError);
    assert.equal(error.code, 'LLM_INVALID_OUTPUT');
    assert.equal(error.retryable, false);
    assert.equal(fake.requests.length, 1);
  });

  test('an out-of-range value: LlmInvalidOutputError, not retried', async () => {
    fake.otherwise({ kind: 'json', output: { ...ANSWER, value: 11 } });

    const error = await rejection(scorer().score(SUBJECT, recordingContext()));

    assert.ok(error instanceof LlmInvalidOutputError);
    assert.match(error.message, /value must be a number from 0 to 10/);
    assert.equal(fake.requests.length, 1);
  });

  test('an incomplete response: LlmIncompleteError with the reason', async () => {
    fake.otherwise({ kind: 'incomplete' });

    const error = await rejection(scorer().score(SUBJECT, recordingContext()));

    assert.ok(error instanceof LlmIncompleteError);
    assert.equal(error.reason, 'max_output_tokens');
    assert.equal(error.retryable, false);
    assert.equal(fake.requests.length, 1);
  });

  test('a refusal: LlmRefusalError without the refusal text', async () => {
    fake.otherwise({ kind: 'refusal', refusal: 'I will not review src/parse.ts' });

    const error = await rejection(scorer().score(SUBJECT, recordingContext()));

    assert.ok(error instanceof LlmRefusalError);
    assert.ok(!error.message.includes('src/parse.ts'));
    assert.equal(fake.requests.length, 1);
  });

  test('abort during a hanging request: rejects promptly with the abort reason, no more requests', {
    timeout: 3000,
  }, async () => {
    fake.otherwise({ kind: 'hang' });
    const controller = new AbortController();

    const scoring = rejection(
      scorer({ timeoutMs: 10_000 }).score(SUBJECT, recordingContext(controller.signal)),
    );
    await fake.waitForRequests(1);
    controller.abort();
    const error = await scoring;

    assert.equal((error as Error).name, 'AbortError');
    await sleep(100);
    assert.equal(fake.requests.length, 1);
  });

  test('abort during the backoff wait: rejects promptly with the abort reason, no retry', {
    timeout: 3000,
  }, async () => {
    fake.otherwise({ kind: 'error', status: 503, headers: { 'retry-after-ms': '10000' } });
    const controller = new AbortController();
    const cancelled = new Error('run cancelled');

    const scoring = rejection(
      scorer({ retryMaxMs: 10_000 }).score(SUBJECT, recordingContext(controller.signal)),
    );
    await fake.waitForRequests(1);
    await sleep(50); // the 503 has arrived: the scorer is sleeping
    controller.abort(cancelled);

    assert.equal(await scoring, cancelled);
    assert.equal(fake.requests.length, 1);
  });

  test('an already aborted signal: no request at all', async () => {
    const error = await rejection(scorer().score(SUBJECT, recordingContext(AbortSignal.abort())));

    assert.equal((error as Error).name, 'AbortError');
    assert.equal(fake.requests.length, 0);
  });

  test('the fake answers other paths with an OpenAI-style 404', async () => {
    const response = await fetch(`${fake.url}/models`);

    assert.equal(response.status, 404);
    const json = (await response.json()) as { error: { message: string; type: string } };
    assert.equal(json.error.type, 'invalid_request_error');
    assert.equal(json.error.message, 'Invalid URL (GET /v1/models)');
  });
});

describe('parseScoreOutput', () => {
  const criterion = ANSWER.criteria[0]!;
  const violation = ANSWER.violations[0]!;
  const invalid: [string, unknown, RegExp][] = [
    ['not an object', [], /output must be an object/],
    ['a missing key', { value: 5, criteria: ANSWER.criteria }, /output lacks violations/],
    ['an unexpected key', { ...ANSWER, band: 'GOOD' }, /output has unexpected band/],
    ['a string value', { ...ANSWER, value: '7' }, /value must be a number/],
    ['a negative value', { ...ANSWER, value: -0.1 }, /value must be a number from 0 to 10/],
    ['no criteria', { ...ANSWER, criteria: [] }, /criteria is empty/],
    [
      'a criterion score above 10',
      { ...ANSWER, criteria: [{ ...criterion, score: 10.5, weight: 1 }] },
      /criteria\[0\]\.score/,
    ],
    ['a weight above 1', { ...ANSWER, criteria: [{ ...criterion, weight: 1.5 }] }, /criteria\[0\]\.weight/],
    ['weights summing to 0.5', { ...ANSWER, criteria: [{ ...criterion, weight: 0.5 }] }, /sum to 0\.500/],
    [
      'duplicate criteria',
      { ...ANSWER, criteria: [criterion, { ...criterion, weight: 0.6 }] },
      /criteria names are not unique/,
    ],
    [
      'an empty criterion name',
      { ...ANSWER, criteria: [{ ...criterion, criterion: ' ', weight: 1 }] },
      /criterion/,
    ],
    ['an unknown severity', { ...ANSWER, violations: [{ ...violation, severity: 'BLOCKER' }] }, /severity/],
    [
      'a fractional line',
      { ...ANSWER, violations: [{ ...violation, line: 1.5 }] },
      /line must be a positive/,
    ],
    ['line 0', { ...ANSWER, violations: [{ ...violation, line: 0 }] }, /line must be a positive/],
    ['a violation without a file', { ...ANSWER, violations: [{ ...violation, file: '' }] }, /file/],
  ];
  for (const [name, output, message] of invalid) {
    test(`rejects ${name}`, () => {
      assert.throws(
        () => parseScoreOutput(JSON.stringify(output)),
        (error: unknown) => {
          assert.ok(error instanceof LlmInvalidOutputError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  test('accepts weights that sum to 1 within rounding (3 × 0.33)', () => {
    const criteria = ['a', 'b', 'c'].map((name) => ({ ...criterion, criterion: name, weight: 0.33 }));
    assert.equal(parseScoreOutput(JSON.stringify({ ...ANSWER, criteria })).criteria.length, 3);
  });

  test('does not quote the text when it is not JSON', () => {
    assert.throws(
      () => parseScoreOutput('secret diff line'),
      (error: unknown) => {
        assert.ok(error instanceof LlmInvalidOutputError);
        assert.ok(!error.message.includes('secret'));
        return true;
      },
    );
  });
});

describe('score schema', () => {
  test('meets strict mode: every object lists all its properties as required, no additional ones', () => {
    const objects: SchemaNode[] = [];
    const walk = (node: SchemaNode) => {
      if (node.type === 'object') objects.push(node);
      for (const child of Object.values(node.properties ?? {})) walk(child);
      if (node.items) walk(node.items);
    };
    walk(scoreSchema);
    assert.equal(objects.length, 3);
    for (const node of objects) {
      assert.equal(node.additionalProperties, false);
      assert.deepEqual([...(node.required ?? [])].sort(), Object.keys(node.properties ?? {}).sort());
    }
  });
});

describe('truncateDiff', () => {
  test('leaves a diff within the limit alone', () => {
    assert.equal(truncateDiff('+a\n+b\n', 6), '+a\n+b\n');
  });

  test('cuts at the last line break before the limit and says how much is missing', () => {
    assert.equal(
      truncateDiff('+aaaa\n+bbbb\n+cccc\n', 14),
      '+aaaa\n+bbbb\n[... diff truncated: 6 of 18 characters omitted ...]',
    );
  });

  test('in one long line, never splits a surrogate pair', () => {
    const cut = truncateDiff('+ab😀cd', 4);
    assert.ok(cut.startsWith('+ab\n[... diff truncated: 4 of 7'), cut);
  });
});

describe('retryAfterMs', () => {
  const headers = (init: Record<string, string>) => new Headers(init);
  test('reads retry-after-ms, retry-after seconds and HTTP dates; ignores garbage', () => {
    assert.equal(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' })), 250);
    assert.equal(retryAfterMs(headers({ 'retry-after': '2' })), 2000);
    const now = Date.parse('2026-11-22T10:00:00Z');
    assert.equal(retryAfterMs(headers({ 'retry-after': 'Sun, 22 Nov 2026 10:00:03 GMT' }), now), 3000);
    assert.equal(retryAfterMs(headers({ 'retry-after': 'soon' })), null);
    assert.equal(retryAfterMs(headers({})), null);
  });
});

function recordingContext(
  signal = new AbortController().signal,
): ScoreContext & { steps: [string, number][] } {
  const steps: [string, number][] = [];
  return {
    signal,
    steps,
    progress: async (step, pct) => {
      steps.push([step, pct]);
    },
  };
}

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

function gapMs(fake: FakeOpenAI, from: number, to: number): number {
  return fake.requests[to]!.receivedAt - fake.requests[from]!.receivedAt;
}
