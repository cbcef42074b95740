/** Prices of one model in US dollars per million tokens. */
export interface ModelPrice {
  /** Uncached input tokens. */
  inputPerMillion: number;
  /** Output tokens (reasoning tokens included). */
  outputPerMillion: number;
  /** Input tokens read from the prompt cache; defaults to `inputPerMillion`. */
  cacheReadPerMillion?: number;
  /** Input tokens written to the prompt cache (Anthropic); defaults to `inputPerMillion`. */
  cacheWritePerMillion?: number;
}

/** A price table: `provider` → model name or model-name prefix → price. The longest matching prefix wins, so
 * `gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`, not `gpt-4o`. */
export type PriceTable = Record<string, Record<string, ModelPrice>>;

/** The date the built-in prices were taken from the providers' public price pages. Override with `setPrices`. */
export const PRICE_TABLE_DATE = "2025-11-01";

/** The built-in list prices (standard tier, no batch discount) as of {@link PRICE_TABLE_DATE}. */
export const DEFAULT_PRICES: PriceTable = {
  openai: {
    "gpt-5": { inputPerMillion: 1.25, outputPerMillion: 10, cacheReadPerMillion: 0.125 },
    "gpt-5-mini": { inputPerMillion: 0.25, outputPerMillion: 2, cacheReadPerMillion: 0.025 },
    "gpt-5-nano": { inputPerMillion: 0.05, outputPerMillion: 0.4, cacheReadPerMillion: 0.005 },
    "gpt-4.1": { inputPerMillion: 2, outputPerMillion: 8, cacheReadPerMillion: 0.5 },
    "gpt-4.1-mini": { inputPerMillion: 0.4, outputPerMillion: 1.6, cacheReadPerMillion: 0.1 },
    "gpt-4.1-nano": { inputPerMillion: 0.1, outputPerMillion: 0.4, cacheReadPerMillion: 0.025 },
    "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 },
    "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6, cacheReadPerMillion: 0.075 },
    o3: { inputPerMillion: 2, outputPerMillion: 8, cacheReadPerMillion: 0.5 },
    "o4-mini": { inputPerMillion: 1.1, outputPerMillion: 4.4, cacheReadPerMillion: 0.275 },
    "text-embedding-3-small": { inputPerMillion: 0.02, outputPerMillion: 0 },
    "text-embedding-3-large": { inputPerMillion: 0.13, outputPerMillion: 0 },
  },
  anthropic: {
    "claude-opus-4-5": { inputPerMillion: 5, outputPerMillion: 25, cacheReadPerMillion: 0.5, cacheWritePerMillion: 6.25 },
    "claude-opus-4": { inputPerMillion: 15, outputPerMillion: 75, cacheReadPerMillion: 1.5, cacheWritePerMillion: 18.75 },
    "claude-sonnet-4": { inputPerMillion: 3, outputPerMillion: 15, cacheReadPerMillion: 0.3, cacheWritePerMillion: 3.75 },
    "claude-haiku-4-5": { inputPerMillion: 1, outputPerMillion: 5, cacheReadPerMillion: 0.1, cacheWritePerMillion: 1.25 },
    "claude-3-7-sonnet": { inputPerMillion: 3, outputPerMillion: 15, cacheReadPerMillion: 0.3, cacheWritePerMillion: 3.75 },
    "claude-3-5-haiku": { inputPerMillion: 0.8, outputPerMillion: 4, cacheReadPerMillion: 0.08, cacheWritePerMillion: 1 },
  },
};

/** Finds the price of `model` from `provider` in `table` (exact name, else the longest matching prefix). */
export function findPrice(table: PriceTable, provider: string, model: string | undefined): ModelPrice | undefined {
  if (model === undefined) return undefined;
  const models = table[provider];
  if (models === undefined) return undefined;
  const exact = models[model];
  if (exact !== undefined) return exact;
  return longestPrefixPrice(models, model);
}

function longestPrefixPrice(models: Record<string, ModelPrice>, model: string): ModelPrice | undefined {
  let best: ModelPrice | undefined;
  let bestLength = 0;
  for (const prefix in models) {
    if (!Object.hasOwn(models, prefix)) continue;
    if (prefix.length > bestLength && model.startsWith(prefix)) {
      best = models[prefix];
      bestLength = prefix.length;
    }
  }
  return best;
}

/** Memoised prices of one price table: provider → model → price (null: no price). */
export interface PriceMemo {
  readonly table: PriceTable;
  readonly byProvider: Map<string, Map<string, ModelPrice | null>>;
  size: number;
  /** The last lookup: an app asks for one model over and over, and comparing two short strings costs less than
   * hashing a response's freshly parsed model name for two map lookups. */
  lastProvider?: string;
  lastModel?: string;
  lastPrice?: ModelPrice | undefined;
}

// Response models are dated (`gpt-4o-mini-2024-07-18`) and never match a key exactly, so without a memo every call
// scans the provider's prefixes. Model names come from responses, so the memo is bounded.
const MAX_MEMOISED_MODELS = 1_000;

/** {@link findPrice} on the table in `memo`, memoised per provider and model. */
export function memoisedPrice(memo: PriceMemo, provider: string, model: string | undefined): ModelPrice | undefined {
  if (model === undefined) return undefined;
  if (model === memo.lastModel && provider === memo.lastProvider) return memo.lastPrice;
  const price = lookUpMemoised(memo, provider, model);
  memo.lastProvider = provider;
  memo.lastModel = model;
  memo.lastPrice = price;
  return price;
}

function lookUpMemoised(memo: PriceMemo, provider: string, model: string): ModelPrice | undefined {
  let byModel = memo.byProvider.get(provider);
  const known = byModel?.get(model);
  if (known !== undefined) return known ?? undefined;
  const price = findPrice(memo.table, provider, model);
  if (memo.size >= MAX_MEMOISED_MODELS) {
    memo.byProvider.clear();
    memo.size = 0;
    byModel = undefined;
  }
  if (byModel === undefined) {
    byModel = new Map();
    memo.byProvider.set(provider, byModel);
  }
  byModel.set(model, price ?? null);
  memo.size += 1;
  return price;
}

/** Token counts as instrumentations report them (GenAI semconv: `inputTokens` includes cached input tokens). */
export interface LlmUsage {
  /** All input tokens, cache reads and cache writes included (`gen_ai.usage.input_tokens`). */
  inputTokens?: number;
  /** All output tokens, reasoning included (`gen_ai.usage.output_tokens`). */
  outputTokens?: number;
  /** The part of `inputTokens` served from the prompt cache. */
  cacheReadInputTokens?: number;
  /** The part of `inputTokens` written to the prompt cache. */
  cacheCreationInputTokens?: number;
  /** The part of `outputTokens` spent on reasoning. */
  reasoningOutputTokens?: number;
}

/** The cost in US dollars of `usage` at `price`. */
export function costOf(price: ModelPrice, usage: LlmUsage): number {
  const input = usage.inputTokens ?? 0;
  const cacheRead = usage.cacheReadInputTokens ?? 0;
  const cacheWrite = usage.cacheCreationInputTokens ?? 0;
  const uncached = Math.max(0, input - cacheRead - cacheWrite);
  const dollars =
    uncached * price.inputPerMillion +
    cacheRead * (price.cacheReadPerMillion ?? price.inputPerMillion) +
    cacheWrite * (price.cacheWritePerMillion ?? price.inputPerMillion) +
    (usage.outputTokens ?? 0) * price.outputPerMillion;
  return dollars / 1_000_000;
}
