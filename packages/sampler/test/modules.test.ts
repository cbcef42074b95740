/**
 * The processor's parts on their own: the decision cache, the trace buffer, the export queue and the compact span
 * record. (Internal modules: imported from source.)
 */
import { ExportResultCode } from "@opentelemetry/core";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DecisionCache } from "../src/decision-cache.js";
import { ExtentTracker, REASON_BIT } from "../src/evaluators.js";
import { ExportQueue, type QueuedSpan } from "../src/export-queue.js";
import { KeptTrace, type LossReason } from "../src/outcomes.js";
import { estimateSpanBytes, recordSpan } from "../src/span-record.js";
import { TraceBuffer } from "../src/trace-buffer.js";
import { makeSpan, ManualExporter, spanIdOf, traceIdOf } from "./helpers.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("DecisionCache", () => {
  it("forgets the oldest decision first and holds nothing at capacity 0", () => {
    const cache = new DecisionCache<string>(2);
    cache.set("a", "keep");
    cache.set("b", "drop");
    cache.set("a", "keep again"); // replacing does not take a new slot
    cache.set("c", "drop");
    expect([cache.get("a"), cache.get("b"), cache.get("c"), cache.size]).toEqual([undefined, "drop", "drop", 2]);
    const none = new DecisionCache<string>(0);
    none.set("a", "keep");
    expect(none.get("a")).toBeUndefined();
  });
});

describe("span records", () => {
  it("are the span an exporter reads: ids, parent, times, duration, status, attributes, events", () => {
    const span = makeSpan({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), startMs: 900, endMs: 2100, error: true, attributes: { a: 1 } });
    const rebuilt = recordSpan(span);
    expect(rebuilt.spanContext()).toEqual(span.spanContext());
    expect(rebuilt.parentSpanContext).toEqual(span.parentSpanContext);
    expect([rebuilt.startTime, rebuilt.endTime, rebuilt.duration]).toEqual([span.startTime, span.endTime, [1, 200_000_000]]);
    expect([rebuilt.status, rebuilt.attributes, rebuilt.events, rebuilt.resource]).toEqual([span.status, span.attributes, span.events, span.resource]);
    expect([rebuilt.name, rebuilt.kind, rebuilt.ended, rebuilt.droppedAttributesCount]).toEqual([span.name, span.kind, true, 0]);
    const stamped = rebuilt.withAttributes({ b: 2 });
    expect([stamped.attributes, rebuilt.attributes, stamped.spanContext(), stamped.bytes]).toEqual([{ a: 1, b: 2 }, { a: 1 }, span.spanContext(), rebuilt.bytes]);
  });

  it("give back the span's exact times, whatever the epoch (held as small integers off a base)", () => {
    for (const [start, end, duration] of [
      [[12, 999_999_999], [13, 1], [0, 2]],
      [[1_700_000_000, 0], [1_700_000_000, 0], [0, 0]],
      [[4_102_444_800, 500], [4_102_444_801, 400], [0, 999_999_900]],
    ] as const) {
      const span = { ...makeSpan({ traceId: traceIdOf(1), spanId: spanIdOf(1) }), startTime: [...start], endTime: [...end] } as ReadableSpan;
      const record = recordSpan(span);
      expect([record.startTime, record.endTime, record.duration]).toEqual([start, end, duration]);
    }
  });

  it("estimate bytes by what the attributes hold (captured content counts by its length)", () => {
    const small = estimateSpanBytes(makeSpan({ traceId: traceIdOf(1), spanId: spanIdOf(1), attributes: { a: "x" } }));
    const large = estimateSpanBytes(makeSpan({ traceId: traceIdOf(1), spanId: spanIdOf(1), attributes: { a: "x".repeat(10_001) } }));
    expect(large - small).toBe(10_000);
  });
});

describe("TraceBuffer", () => {
  const limits = { decisionWaitMs: 100, maxTraceAgeMs: 1000, maxTraces: 2, maxBufferBytes: 100_000 };
  const record = (n: number, spanId: number, root = false) =>
    recordSpan(makeSpan({ traceId: traceIdOf(n), spanId: spanIdOf(spanId), ...(root ? {} : { parentSpanId: spanIdOf(1) }) }));

  it("counts spans and bytes in and out, and says when it is over its trace budget", () => {
    const buffer = new TraceBuffer(limits);
    const first = buffer.open(traceIdOf(1), record(1, 2), undefined, false, 0);
    buffer.add(first, record(1, 3), undefined, false);
    buffer.open(traceIdOf(2), record(2, 2), undefined, false, 0);
    expect([buffer.traceCount, buffer.spans, buffer.overBudget()]).toEqual([2, 3, false]);
    expect(buffer.bytes).toBe(first.bytes + (buffer.get(traceIdOf(2))?.bytes ?? 0));
    buffer.open(traceIdOf(3), record(3, 2), undefined, false, 0);
    expect(buffer.overBudget()).toBe(true);
    expect(buffer.oldest()?.traceId).toBe(traceIdOf(1));
    buffer.remove(first);
    expect([buffer.traceCount, buffer.spans, buffer.overBudget(), first.decided]).toEqual([2, 2, false, true]);
  });

  it("hands out traces whose root ended after the grace period, and those too old, by deadline", () => {
    const buffer = new TraceBuffer({ ...limits, maxTraces: 10 });
    buffer.open(traceIdOf(1), record(1, 2), undefined, false, 0); // root never ends
    const second = buffer.open(traceIdOf(2), record(2, 1, true), undefined, true, 50); // due at 150
    expect(buffer.nextDeadline()).toBe(150);
    expect(buffer.rootEndedDue(149)).toEqual([]);
    expect(buffer.rootEndedDue(150)).toEqual([second]);
    buffer.remove(second);
    expect(buffer.nextDeadline()).toBe(1000);
    expect(buffer.tooOld(1000).map((trace) => trace.traceId)).toEqual([traceIdOf(1)]);
  });
});

describe("ExportQueue", () => {
  function kept(n: number, mask: number): KeptTrace {
    const span = makeSpan({ traceId: traceIdOf(n), spanId: spanIdOf(1) });
    const trace = new KeptTrace(traceIdOf(n), mask, new ExtentTracker(recordSpan(span), undefined), 0);
    trace.reasons = [];
    return trace;
  }
  const entry = (trace: KeptTrace, spanId: number): QueuedSpan => ({
    trace,
    record: recordSpan(makeSpan({ traceId: trace.traceId, spanId: spanIdOf(spanId), attributes: { pad: "x".repeat(600) } })),
  });

  function setup(settings: Partial<ConstructorParameters<typeof ExportQueue>[1]> = {}) {
    const exporter = new ManualExporter();
    const exported: string[] = [];
    const lost: [string, LossReason][] = [];
    const queue = new ExportQueue(
      exporter,
      { maxExportBatchSize: 2, scheduledDelayMillis: 10, maxConcurrentExports: 1, exportTimeoutMillis: 1000, maxExportQueueBytes: 1 << 20, ...settings },
      {
        exported: (entries) => exported.push(...entries.map((item) => `${item.trace.traceId.slice(-1)}/${item.record.spanContext().spanId.slice(-1)}`)),
        lost: (entries, reason) => lost.push(...entries.map((item) => [`${item.trace.traceId.slice(-1)}/${item.record.spanContext().spanId.slice(-1)}`, reason] as [string, LossReason])),
      },
    );
    return { exporter, exported, lost, queue };
  }

  it("evicts the newest spans of lower-priority traces, and the rest of such a trace with them", () => {
    const bytesPerEntry = entry(kept(9, 0), 1).record.bytes;
    const { exporter, lost, queue } = setup({ maxExportQueueBytes: bytesPerEntry * 4, maxExportBatchSize: 100 });
    const baseline = kept(1, REASON_BIT.baseline);
    const error = kept(2, REASON_BIT.error);
    queue.add(entry(baseline, 1));
    queue.add(entry(baseline, 2));
    queue.add(entry(baseline, 3));
    for (let span = 1; span <= 3; span++) queue.add(entry(error, span));
    expect(lost).toEqual([
      ["1/3", "export_queue_full"],
      ["1/2", "export_queue_full"],
    ]);
    expect(baseline.evicted).toBe(true);
    void queue.drain();
    // 1/1 left the queue with its trace: a trace leaves whole or not at all.
    expect(lost).toContainEqual(["1/1", "export_queue_full"]);
    expect(exporter.pending[0]?.spans.map((span) => span.spanContext().spanId.slice(-1))).toEqual(["1", "2", "3"]);
  });

  it("refuses an error span only when nothing of lower priority is left to give way", () => {
    const bytesPerEntry = entry(kept(9, 0), 1).record.bytes;
    const { lost, queue } = setup({ maxExportQueueBytes: bytesPerEntry * 2, maxExportBatchSize: 100 });
    const error = kept(2, REASON_BIT.error);
    for (let span = 1; span <= 3; span++) queue.add(entry(error, span));
    expect(lost).toEqual([["2/3", "export_queue_full"]]);
  });

  it("counts a batch that never calls back as export_timeout, and abort loses everything left", async () => {
    vi.useFakeTimers();
    const { exporter, exported, lost, queue } = setup();
    const trace = kept(1, REASON_BIT.error);
    for (let span = 1; span <= 4; span++) queue.add(entry(trace, span));
    await vi.advanceTimersByTimeAsync(1000);
    expect(lost).toEqual([
      ["1/1", "export_timeout"],
      ["1/2", "export_timeout"],
    ]);
    exporter.pending[0]?.done({ code: ExportResultCode.SUCCESS }); // too late: ignored
    expect(exported).toEqual([]);
    queue.abort("shutdown_timeout");
    expect(lost.slice(2)).toEqual([
      ["1/3", "shutdown_timeout"],
      ["1/4", "shutdown_timeout"],
    ]);
    expect([queue.length, queue.spansInFlight, queue.bytes, vi.getTimerCount()]).toEqual([0, 0, 0, 0]);
  });
});
