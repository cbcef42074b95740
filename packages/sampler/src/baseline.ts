/**
 * The probabilistic baseline, computed exactly as the OpenTelemetry Collector's `tail_sampling` `probabilistic`
 * policy does (without the `usetracestate` feature gate): FNV-1a 64 over the salt bytes followed by the 16 trace id
 * bytes; the trace is sampled when that hash is <= floor(MaxUint64 * percentage / 100), the product being rounded
 * to 64 significant bits first (Go's big.Float with the precision of MaxUint64). Same salt, same trace id, same
 * decision in every process and in the collector.
 */

const TWO_POW_32 = 4294967296;
// FNV-1a 64 offset basis 0xcbf29ce484222325 as two 32-bit halves.
const FNV_OFFSET_HIGH = 0xcbf29ce4;
const FNV_OFFSET_LOW = 0x84222325;
// FNV 64 prime is 2^40 + 0x1b3: multiplying is (h * 0x1b3) + (h << 40), done on 32-bit halves so that no
// intermediate exceeds 2^53 and no BigInt is needed on the per-trace path. Reductions modulo 2^32 use `>>> 0`
// (exact for integers below 2^53) rather than `%`, which is a floating-point remainder and costs several times more.
const FNV_PRIME_LOW = 0x1b3;

interface Fnv64State {
  high: number;
  low: number;
}

function fnvByte(state: Fnv64State, byte: number): void {
  const low = (state.low ^ byte) >>> 0;
  const lowProduct = low * FNV_PRIME_LOW; // below 2^41: exact
  // high * 0x1b3 (mod 2^32), the carry out of the low half, and low << 40 seen from the high half: low << 8.
  state.high = (Math.imul(state.high, FNV_PRIME_LOW) + Math.floor(lowProduct / TWO_POW_32) + (low << 8)) >>> 0;
  state.low = lowProduct >>> 0;
}

function hexNibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** FNV-1a 64 of `salt` (UTF-8) followed by the bytes of the hex trace id, as a bigint. */
export function hashTraceId(salt: string, traceIdHex: string): bigint {
  const state = saltState(salt);
  hashTraceIdInto(state, traceIdHex);
  return (BigInt(state.high) << 32n) | BigInt(state.low);
}

function saltState(salt: string): Fnv64State {
  const state = { high: FNV_OFFSET_HIGH, low: FNV_OFFSET_LOW };
  for (const byte of new TextEncoder().encode(salt)) fnvByte(state, byte);
  return state;
}

function hashTraceIdInto(state: Fnv64State, traceIdHex: string): boolean {
  if (traceIdHex.length !== 32) return false;
  for (let i = 0; i < 32; i += 2) {
    const high = hexNibble(traceIdHex.charCodeAt(i));
    const low = hexNibble(traceIdHex.charCodeAt(i + 1));
    if (high < 0 || low < 0) return false;
    fnvByte(state, high * 16 + low);
  }
  return true;
}

const MAX_UINT64 = (1n << 64n) - 1n;

/** floor(MaxUint64 * ratio) as Go computes it: the product rounded to 64 significant bits (nearest even), then
 * truncated to an integer and clamped to [0, MaxUint64]. */
export function probabilisticThreshold(percentage: number): bigint {
  const ratio = percentage / 100;
  if (!(ratio > 0)) return 0n;
  // Decompose the double exactly: ratio = mantissa * 2^exponent.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, ratio);
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  let product = MAX_UINT64 * mantissa;
  let scale = exponent;
  const length = product.toString(2).length;
  if (length > 64) {
    const drop = BigInt(length - 64);
    const remainder = product & ((1n << drop) - 1n);
    const half = 1n << (drop - 1n);
    product >>= drop;
    if (remainder > half || (remainder === half && (product & 1n) === 1n)) product += 1n;
    scale += Number(drop);
  }
  const value = scale >= 0 ? product << BigInt(scale) : product >> BigInt(-scale);
  return value > MAX_UINT64 ? MAX_UINT64 : value;
}

/** A compiled baseline decision: `keeps(traceId)` is true when the collector's probabilistic policy would sample. */
export interface BaselineSampler {
  keeps(traceIdHex: string): boolean;
}

export function createBaselineSampler(percentage: number, hashSalt: string): BaselineSampler {
  const threshold = probabilisticThreshold(percentage);
  const thresholdHigh = Number(threshold >> 32n);
  const thresholdLow = Number(threshold & 0xffffffffn);
  const salted = saltState(hashSalt);
  if (threshold === 0n && percentage <= 0) return { keeps: () => false };
  // One state reused for every trace (the hash runs to completion synchronously): no allocation per decision.
  const state: Fnv64State = { high: 0, low: 0 };
  return {
    keeps(traceIdHex: string): boolean {
      state.high = salted.high;
      state.low = salted.low;
      if (!hashTraceIdInto(state, traceIdHex)) return false;
      return state.high < thresholdHigh || (state.high === thresholdHigh && state.low <= thresholdLow);
    },
  };
}
