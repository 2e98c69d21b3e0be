import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outcomeLabel } from '../src/llm/llm-metrics.ts';
import { DEFAULT_LLM_PRICES, estimateCost, priceOf } from '../src/llm/llm-prices.ts';

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

test('estimated cost: dated model names priced as their family, the longest name wins, unknown models unpriced', () => {
  assert.deepEqual(priceOf(DEFAULT_LLM_PRICES, 'gpt-5-mini-2025-08-07'), [0.25, 2]);
  assert.deepEqual(priceOf(DEFAULT_LLM_PRICES, 'gpt-5-mini'), [0.25, 2]);
  assert.deepEqual(priceOf(DEFAULT_LLM_PRICES, 'gpt-5'), [1.25, 10]);
  assert.equal(priceOf(DEFAULT_LLM_PRICES, 'gpt-5x'), null);
  assert.equal(priceOf(DEFAULT_LLM_PRICES, 'llama-3'), null);
  // 1M input at $0.25 + 500k output at $2 per million.
  assert.equal(estimateCost(DEFAULT_LLM_PRICES, 'gpt-5-mini-2025-08-07', 1_000_000, 500_000), 1.25);
  assert.equal(estimateCost({ ...DEFAULT_LLM_PRICES, 'gpt-5-mini': [1, 1] }, 'gpt-5-mini', 10, 0), 0.00001);
});
