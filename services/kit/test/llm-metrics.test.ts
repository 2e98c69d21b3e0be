import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outcomeLabel } from '../src/llm/llm-metrics.ts';

test('model request outcomes are a bounded label: known reasons as they are, other statuses by class', () => {
  assert.equal(outcomeLabel('ok'), 'ok');
  assert.equal(outcomeLabel('rate_limited'), 'rate_limited');
  assert.equal(outcomeLabel('timeout'), 'timeout');
  assert.equal(outcomeLabel('http_507'), 'http_5xx');
  assert.equal(outcomeLabel('http_418'), 'http_4xx');
  assert.equal(outcomeLabel('anything else at all'), 'other');
  const labels = new Set(Array.from({ length: 600 }, (_, i) => outcomeLabel(`http_${i}`)));
  assert.ok(labels.size <= 8, [...labels].join(' '));
});
