/** USD per million tokens, [input, output]. */
export type LlmPrices = Record<string, readonly [input: number, output: number]>;

/**
 * OpenAI's list prices for the models Assay is likely to be pointed at; `ASSAY_LLM_PRICES`
 * adds or overrides entries. An estimate: cached-input discounts and batch pricing are ignored.
 */
export const DEFAULT_LLM_PRICES: LlmPrices = {
  'gpt-5': [1.25, 10],
  'gpt-5-mini': [0.25, 2],
  'gpt-5-nano': [0.05, 0.4],
  'gpt-4.1': [2, 8],
  'gpt-4.1-mini': [0.4, 1.6],
  'gpt-4.1-nano': [0.1, 0.4],
  'gpt-4o': [2.5, 10],
  'gpt-4o-mini': [0.15, 0.6],
};

/**
 * The price of `model` as the API reports it (`gpt-5-mini-2025-08-07` is priced as `gpt-5-mini`):
 * the longest configured name that the model equals or starts with followed by `-`. Null: unpriced.
 */
export function priceOf(prices: LlmPrices, model: string): readonly [number, number] | null {
  let best: string | null = null;
  for (const name of Object.keys(prices)) {
    if ((model === name || model.startsWith(`${name}-`)) && name.length > (best?.length ?? -1)) best = name;
  }
  return best === null ? null : prices[best]!;
}

/** Dollars for one response's usage, or null when the model has no price. */
export function estimateCost(prices: LlmPrices, model: string, input: number, output: number): number | null {
  const price = priceOf(prices, model);
  return price ? (input * price[0] + output * price[1]) / 1_000_000 : null;
}
