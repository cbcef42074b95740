import { DEFAULT_PRICES, memoisedPrice, type ModelPrice, type PriceTable } from "./prices.js";
import { coreState } from "./state.js";

/** The price table in use (process-wide, shared by the ESM and CJS copies of core). */
export function getPrices(): PriceTable {
  return coreState().prices;
}

/**
 * Overrides prices (US dollars per million tokens): `overrides` is merged over the table in use, per provider and
 * model; `{ replace: true }` drops everything else. Applies to calls that report usage afterwards.
 */
export function setPrices(overrides: PriceTable, options: { replace?: boolean } = {}): void {
  const base: PriceTable = options.replace ? {} : coreState().prices;
  const merged: PriceTable = {};
  for (const provider of new Set([...Object.keys(base), ...Object.keys(overrides)])) {
    merged[provider] = { ...base[provider], ...overrides[provider] };
  }
  coreState().prices = merged;
  coreState().priceMemo = undefined;
}

/** Restores the built-in price table ({@link DEFAULT_PRICES}). */
export function resetPrices(): void {
  coreState().prices = DEFAULT_PRICES;
  coreState().priceMemo = undefined;
}

/** The price of `model` in the table in use, memoised per provider and model until the table changes. */
export function currentPrice(provider: string, model: string | undefined): ModelPrice | undefined {
  const state = coreState();
  let memo = state.priceMemo;
  // Compared by identity as well: the other (ESM/CJS) copy of core may be an older one that does not clear the memo.
  if (memo === undefined || memo.table !== state.prices) {
    memo = { table: state.prices, byProvider: new Map(), size: 0, lastProvider: undefined, lastModel: undefined, lastPrice: undefined };
    state.priceMemo = memo;
  }
  return memoisedPrice(memo, provider, model);
}
