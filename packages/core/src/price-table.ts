import { DEFAULT_PRICES, type PriceTable } from "./prices.js";
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
}

/** Restores the built-in price table ({@link DEFAULT_PRICES}). */
export function resetPrices(): void {
  coreState().prices = DEFAULT_PRICES;
}
