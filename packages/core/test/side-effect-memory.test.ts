// The side-effect keys core remembers for duplicate detection are bounded: at most 1,000 per trace (a repeat of a
// key past that is not flagged, and diag says so once) and 20,000 in all (the trace that ended longest ago is
// forgotten first). Only the probe spans are recorded, so tens of thousands of tool calls stay cheap.
import { describe, expect, it } from "vitest";
import { context, trace, type Attributes } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor, TracerProvider, type Sampler } from "@opentelemetry/sdk-trace";
import { extract, inject, tool, trackedTraceCount, workflow } from "@telltale/core";
import { ATTR_TELLTALE_DUPLICATE } from "@telltale/core/attributes";
import { collectDiag } from "./diag.js";

const PROBE = "test.probe";
const probesOnly: Sampler = {
  shouldSample: (_ctx, _traceId, _name, _kind, attributes: Attributes) => ({
    decision: attributes[PROBE] === undefined ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED,
  }),
  toString: () => "probes only",
};
const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ sampler: probesOnly, spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
const diagMessages = collectDiag();

function probe(name: string, key: string): Promise<unknown> {
  return tool(name, { sideEffect: true, idempotencyKey: key, attributes: { [PROBE]: key } }, () => "done");
}

function duplicateFlag(key: string): unknown {
  const found = exporter.getFinishedSpans().filter((span) => span.attributes[PROBE] === key);
  expect(found).toHaveLength(1);
  return found[0]!.attributes[ATTR_TELLTALE_DUPLICATE];
}

/** A workflow that runs `count` side effects with distinct keys and returns a carrier of its trace. */
function manyEffects(name: string, count: number): Promise<Record<string, unknown>> {
  return workflow(name, async () => {
    for (let index = 0; index < count; index += 1) {
      await tool("write", { sideEffect: true, idempotencyKey: `${name}:${index}` }, () => index);
    }
    return inject();
  });
}

describe("side-effect keys in memory", () => {
  it("remembers 1,000 per trace, and says once that it stopped", async () => {
    await workflow("crowded", async () => {
      for (let index = 0; index < 1_000; index += 1) {
        await tool("write", { sideEffect: true, idempotencyKey: `row:${index}` }, () => index);
      }
      await probe("write", "row:999");
      await probe("late-write", "row:1000");
      await probe("late-write", "row:1000-again");
      await tool("late-write", { sideEffect: true, idempotencyKey: "row:1000", attributes: { [PROBE]: "repeat" } }, () => "again");
    });
    expect(duplicateFlag("row:999")).toBe(true);
    // Key 1,001 was not remembered: its repeat is not flagged.
    expect(duplicateFlag("repeat")).toBeUndefined();
    expect(diagMessages.matching("more than 1000 side effects")).toHaveLength(1);
  });

  it("holds 20,000 in all: the trace that ended longest ago is forgotten first", async () => {
    const first = await manyEffects("oldest", 1_000);
    const traces = [first];
    for (let index = 1; index < 21; index += 1) traces.push(await manyEffects(`trace-${index}`, 1_000));
    expect(trackedTraceCount()).toBeLessThanOrEqual(20);

    // A redelivery in the oldest trace no longer finds its keys in memory, and "oldest:0" is not among the 32 most
    // recent keys its carrier took along...
    await extract(first, () => probe("write", "oldest:0"));
    expect(duplicateFlag("oldest:0")).toBeUndefined();
    // ...while the most recent trace's keys are still there.
    await extract(traces[20]!, () => probe("write", "trace-20:0"));
    expect(duplicateFlag("trace-20:0")).toBe(true);
  });
});
