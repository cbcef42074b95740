import { createBaselineSampler } from "@telltale/sampler/conformance";
import { hashTraceId, probabilisticThreshold } from "../src/baseline.js";
import { describe, expect, it } from "vitest";

// Reference values computed with Go's hash/fnv and math/big exactly as the collector's probabilistic policy
// (processor/tailsamplingprocessor/internal/sampling/probabilistic.go) does.
describe("probabilistic baseline (collector-compatible)", () => {
  it.each([
    ["telltale", "0af7651916cd43dd8448eb211c80319c", 365997561773310707n],
    ["default-hash-seed", "0af7651916cd43dd8448eb211c80319c", 3728843964641534796n],
    ["ü-salt", "4bf92f3577b34da6a3ce929d0e0e4736", 2223528099539601393n],
    ["default-hash-seed", "ffffffffffffffffffffffffffffffff", 1711019809656077869n],
  ])("FNV-1a 64 of salt %s + trace id %s", (salt, traceId, expected) => {
    expect(hashTraceId(salt, traceId)).toBe(expected);
  });

  it("agrees with a plain BigInt FNV-1a 64 on many salts and trace ids (every carry path of the 32-bit halves)", () => {
    const fnv = (bytes: Iterable<number>): bigint => {
      let hash = 0xcbf29ce484222325n;
      for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return hash;
    };
    let seed = 0x2545f491;
    const nextByte = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 24;
    };
    for (let round = 0; round < 500; round++) {
      const salt = String.fromCharCode(...Array.from({ length: round % 9 }, () => 32 + (nextByte() % 90)));
      const idBytes = Array.from({ length: 16 }, nextByte);
      const traceId = idBytes.map((byte) => byte.toString(16).padStart(2, "0")).join("");
      expect(hashTraceId(salt, traceId), `${salt} ${traceId}`).toBe(fnv([...new TextEncoder().encode(salt), ...idBytes]));
    }
  });

  it.each([
    [5, 922337203685477631n],
    [10, 1844674407370955263n],
    [33.3, 6142765776545279999n],
    [0.0001, 18446744073709n],
    [99.99, 18444899399302178815n],
    [100, 18446744073709551615n],
  ])("threshold for %s %%", (percentage, expected) => {
    expect(probabilisticThreshold(percentage)).toBe(expected);
  });

  it("samples exactly the trace ids whose hash is at or under the threshold", () => {
    // hash("telltale", 0af7…) = 365997561773310707: under the 5 % threshold (922337203685477631), over 1 %.
    expect(createBaselineSampler(5, "telltale").keeps("0af7651916cd43dd8448eb211c80319c")).toBe(true);
    expect(createBaselineSampler(1, "telltale").keeps("0af7651916cd43dd8448eb211c80319c")).toBe(false);
    // 6796720313497800978 is over 33.3 % (6142765776545279999) and under 50 %.
    expect(createBaselineSampler(33.3, "telltale").keeps("4bf92f3577b34da6a3ce929d0e0e4736")).toBe(false);
    expect(createBaselineSampler(50, "telltale").keeps("4bf92f3577b34da6a3ce929d0e0e4736")).toBe(true);
    expect(createBaselineSampler(0, "telltale").keeps("00000000000000000000000000000001")).toBe(false);
    expect(createBaselineSampler(100, "telltale").keeps("ffffffffffffffffffffffffffffffff")).toBe(true);
  });
});
