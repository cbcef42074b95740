/**
 * Kept means delivered: priority under pressure, concurrency, honest counts at every moment, loud loss, a bounded
 * shutdown that leaves no timer behind, memory bounded in bytes, and reasons found after an early keep.
 */
import { ATTR_TELLTALE_KEEP, ATTR_TELLTALE_SAMPLING_REASONS } from "@telltale/core/attributes";
import {
  parsePolicy,
  SamplerOptionError,
  TailSamplingSpanProcessor,
  type TailSamplingSpanProcessorOptions,
  type TailSamplingStats,
} from "@telltale/sampler";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { estimateSpanBytes } from "../src/span-record.js";
import { makeSpan, ManualExporter, RecordingExporter, spanIdOf, traceIdOf, warningLines, type SpanSpec } from "./helpers.js";

const GRACE_MS = 1000;
const policyWith = (percentage: number) =>
  parsePolicy({ baseline: { percentage }, buffer: { decisionWaitMs: GRACE_MS, maxTraceAgeMs: 30_000 } });
const ROOT = spanIdOf(0x100);
const CHILD = spanIdOf(0x200);

function setup(options: Partial<TailSamplingSpanProcessorOptions> & { exporter?: TailSamplingSpanProcessorOptions["exporter"] } = {}) {
  const exporter = options.exporter ?? new ManualExporter();
  const warnings = warningLines();
  const processor = new TailSamplingSpanProcessor({
    policy: policyWith(0),
    scheduledDelayMillis: 10,
    warningSink: warnings.sink,
    ...options,
    exporter,
  });
  const end = (spec: SpanSpec) => processor.onEnd(makeSpan(spec));
  return { processor, end, warnings };
}

/** Every span and every kept trace is somewhere, at every moment. */
function expectBalanced(stats: TailSamplingStats): void {
  expect(stats.spansReceived).toBe(
    stats.pendingSpans + stats.exportQueueLength + stats.spansInFlight + stats.spansExported + stats.spansDropped + stats.spansLost,
  );
  expect(stats.tracesKept).toBe(stats.tracesExported + stats.tracesLost + stats.keptTracesPending);
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((total, value) => total + value, 0);
  expect(stats.spansDropped).toBe(sum(stats.droppedSpansByReason));
  expect(stats.spansLost).toBe(sum(stats.lostSpansByReason));
  expect(stats.tracesLost).toBe(sum(stats.lostTracesByLossReason));
}

/** A two-span trace: a child and its root; `error` on the child. */
function endTrace(end: (spec: SpanSpec) => void, n: number, child: Partial<SpanSpec> = {}): void {
  end({ traceId: traceIdOf(n), spanId: CHILD, parentSpanId: ROOT, attributes: { payload: "x".repeat(400) }, ...child });
  end({ traceId: traceIdOf(n), spanId: ROOT });
}

/** The sampler's estimate of one {@link endTrace} trace. */
const TRACE_BYTES =
  estimateSpanBytes(makeSpan({ traceId: traceIdOf(1), spanId: CHILD, parentSpanId: ROOT, attributes: { payload: "x".repeat(400) } })) +
  estimateSpanBytes(makeSpan({ traceId: traceIdOf(1), spanId: ROOT }));

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("priority under pressure", () => {
  it("with the exporter stalled and the queue full, baseline traces give way whole before any error trace", async () => {
    const exporter = new ManualExporter();
    // Room for 90 of the 110 traces.
    const { processor, end, warnings } = setup({ exporter, policy: policyWith(100), maxExportQueueBytes: 90 * TRACE_BYTES, maxConcurrentExports: 1, maxExportBatchSize: 4 });
    for (let n = 1; n <= 50; n++) endTrace(end, n); // healthy, kept by the 100 % baseline once decided
    await vi.advanceTimersByTimeAsync(GRACE_MS + 10); // decided: baseline spans queued (one batch in flight)
    for (let n = 101; n <= 160; n++) endTrace(end, n, { error: true }); // kept at once for error
    expectBalanced(processor.stats());
    // The backend comes back: batches go through one at a time until nothing waits.
    for (let round = 0; round < 1000 && exporter.pending.length > 0; round++) {
      exporter.accept();
      await vi.advanceTimersByTimeAsync(20);
    }

    const delivered = new Set(exporter.traceIds());
    const errorIds = Array.from({ length: 60 }, (_, index) => traceIdOf(101 + index));
    expect(errorIds.filter((id) => !delivered.has(id))).toEqual([]);
    const stats = processor.stats();
    expect(stats.exportedTracesByReason.error).toBe(60);
    expect(stats.lostTracesByReason.error).toBe(0);
    expect(stats.lostTracesByReason.baseline).toBeGreaterThan(0);
    expect(stats.lostTracesByLossReason.export_queue_full).toBe(stats.lostTracesByReason.baseline);
    // Whole traces: a baseline trace is delivered with both spans or not at all.
    for (let n = 1; n <= 50; n++) {
      const spans = exporter.delivered.filter((span) => span.spanContext().traceId === traceIdOf(n));
      expect([0, 2]).toContain(spans.length);
    }
    expect(stats.tracesExported + stats.tracesLost).toBe(110);
    expectBalanced(stats);
    expect(warnings.lines).toHaveLength(1);
    expect(warnings.lines[0]).toMatch(/^telltale sampler: \d+ span\(s\) of kept traces not delivered \(export_queue_full \d+\)/);
    expect(warnings.lines[0]).toContain("stats()");
  });

  it("exports error traces first when several lanes wait", async () => {
    const exporter = new ManualExporter();
    const { end } = setup({ exporter, policy: policyWith(100), maxConcurrentExports: 1, maxExportBatchSize: 2 });
    endTrace(end, 1); // baseline
    await vi.advanceTimersByTimeAsync(GRACE_MS + 10);
    end({ traceId: traceIdOf(2), spanId: ROOT, attributes: { [ATTR_TELLTALE_KEEP]: true } });
    end({ traceId: traceIdOf(3), spanId: ROOT, attributes: { "telltale.budget.exceeded": true } });
    end({ traceId: traceIdOf(4), spanId: ROOT, error: true });
    exporter.accept(1); // the baseline batch that was already in flight
    await vi.advanceTimersByTimeAsync(20);
    exporter.accept(1);
    await vi.advanceTimersByTimeAsync(20);
    exporter.accept(1);
    expect(exporter.delivered.map((span) => span.spanContext().traceId)).toEqual([
      traceIdOf(1),
      traceIdOf(1),
      traceIdOf(4), // error
      traceIdOf(3), // another failure
      traceIdOf(2), // telltale.keep
    ]);
  });

  it("keeps several batches in flight, no more than maxConcurrentExports", async () => {
    const exporter = new ManualExporter();
    const { processor, end } = setup({ exporter, maxConcurrentExports: 3, maxExportBatchSize: 2 });
    for (let n = 1; n <= 10; n++) endTrace(end, n, { error: true });
    expect(exporter.pending).toHaveLength(3);
    expect(processor.stats()).toMatchObject({ exportsInFlight: 3, spansInFlight: 6, exportQueueLength: 14 });
    exporter.accept(1);
    expect(exporter.pending).toHaveLength(3);
    expectBalanced(processor.stats());
  });
});

describe("honest counts", () => {
  it("every span and kept trace is accounted for at every step, through failures and shutdown", async () => {
    const exporter = new ManualExporter();
    const { processor, end } = setup({ exporter, policy: policyWith(50), maxExportBatchSize: 3 });
    for (let n = 1; n <= 40; n++) {
      endTrace(end, n, { error: n % 3 === 0 });
      expectBalanced(processor.stats());
      if (n % 5 === 0) {
        const batch = exporter.pending.shift();
        batch?.done({ code: n % 10 === 0 ? 1 : 0, error: new Error("backend said no") });
        if (batch && n % 10 !== 0) exporter.delivered.push(...batch.spans);
      }
      await vi.advanceTimersByTimeAsync(100);
      expectBalanced(processor.stats());
    }
    const shutdown = processor.shutdown();
    await vi.advanceTimersByTimeAsync(6000); // the exporter never answers the rest: the default 5 s timeout ends it
    await shutdown;
    const stats = processor.stats();
    expectBalanced(stats);
    expect(stats).toMatchObject({ pendingSpans: 0, exportQueueLength: 0, spansInFlight: 0, keptTracesPending: 0 });
    expect(stats.spansExported).toBe(exporter.delivered.length);
    expect(stats.lostSpansByReason.exporter_failed).toBeGreaterThan(0);
    expect(stats.lostSpansByReason.shutdown_timeout).toBeGreaterThan(0);
    // Per reason, every kept trace is exported or lost once settled.
    for (const reason of Object.keys(stats.keptTracesByReason) as (keyof typeof stats.keptTracesByReason)[]) {
      expect(stats.keptTracesByReason[reason]).toBe(stats.exportedTracesByReason[reason] + stats.lostTracesByReason[reason]);
    }
  });
});

describe("bounded shutdown", () => {
  it("resolves at shutdownTimeoutMillis with a hanging exporter, counts the undelivered as lost and leaves no timer", async () => {
    const exporter = new ManualExporter();
    const { processor, end, warnings } = setup({ exporter, shutdownTimeoutMillis: 1000 });
    for (let n = 1; n <= 5; n++) endTrace(end, n, { error: true });
    end({ traceId: traceIdOf(9), spanId: CHILD, parentSpanId: ROOT }); // undecided
    let resolved = false;
    void processor.shutdown().then(() => {
      resolved = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(resolved).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    const stats = processor.stats();
    expect(stats).toMatchObject({ tracesKept: 5, tracesLost: 5, spansLost: 10, spansInFlight: 0, exportQueueLength: 0 });
    expect(stats.lostSpansByReason.shutdown_timeout).toBe(10);
    expect(stats.lostTracesByReason.error).toBe(5);
    expectBalanced(stats);
    expect(warnings.lines.join("")).toContain("shutdown_timeout 10");
    // A late answer from the exporter changes nothing.
    exporter.accept();
    expect(processor.stats().spansExported).toBe(0);
  });

  it("forceFlush resolves at the timeout too, without counting what is still in flight as lost", async () => {
    const exporter = new ManualExporter();
    const { processor, end } = setup({ exporter, shutdownTimeoutMillis: 500 });
    endTrace(end, 1, { error: true });
    const flushed = processor.forceFlush();
    await vi.advanceTimersByTimeAsync(500);
    await flushed;
    expect(processor.stats()).toMatchObject({ spansInFlight: 2, spansLost: 0 });
    exporter.accept();
    expect(processor.stats()).toMatchObject({ spansInFlight: 0, spansExported: 2, tracesExported: 1 });
  });

  it("refuses out-of-range options naming them (a timer past 2^31-1 ms would fire after 1 ms)", () => {
    const exporter = new RecordingExporter();
    expect(() => new TailSamplingSpanProcessor({ exporter, shutdownTimeoutMillis: 2 ** 31 })).toThrow(SamplerOptionError);
    expect(() => new TailSamplingSpanProcessor({ exporter, shutdownTimeoutMillis: 2 ** 31 })).toThrow(
      'telltale sampler: option "shutdownTimeoutMillis" must be an integer from 0 to 2147483647, got 2147483648',
    );
    expect(() => new TailSamplingSpanProcessor({ exporter, maxConcurrentExports: 0 })).toThrow('option "maxConcurrentExports"');
    expect(() => new TailSamplingSpanProcessor({ exporter, maxTraceAgeMs: 3e9 })).toThrow('option "maxTraceAgeMs"');
    expect(() => new TailSamplingSpanProcessor({ exporter, maxBufferBytes: Number.NaN })).toThrow('option "maxBufferBytes"');
  });
});

describe("loud loss", () => {
  it("writes one line to stderr by default, then at most one per interval, summing what happened in between", async () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const exporter = new RecordingExporter();
    exporter.fail = true;
    const processor = new TailSamplingSpanProcessor({ exporter, policy: policyWith(0), scheduledDelayMillis: 10, warningIntervalMillis: 60_000 });
    processor.onEnd(makeSpan({ traceId: traceIdOf(1), spanId: ROOT, error: true }));
    await vi.advanceTimersByTimeAsync(10);
    expect(written).toHaveLength(1);
    expect(written[0]).toBe(
      "telltale sampler: 1 span(s) of kept traces not delivered (exporter_failed 1); 1 kept trace(s) lost, by keep reason: error 1; last exporter error: collector unreachable. See counts per reason: the sampler's stats() and the telltale.sampler.lost metric; each exporter error: OTEL_LOG_LEVEL=debug.\n",
    );
    for (let n = 2; n <= 4; n++) processor.onEnd(makeSpan({ traceId: traceIdOf(n), spanId: ROOT, error: true }));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(written).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(written).toHaveLength(2);
    expect(written[1]).toContain("3 span(s) of kept traces not delivered (exporter_failed 3); 3 kept trace(s) lost");
  });
});

describe("memory bounded in bytes", () => {
  it("decides the oldest undecided traces early when buffered bytes pass maxBufferBytes", async () => {
    const { processor, end } = setup({ maxBufferBytes: 64 * 1024, maxTraces: 100_000 });
    for (let n = 1; n <= 200; n++) {
      end({ traceId: traceIdOf(n), spanId: CHILD, parentSpanId: ROOT, attributes: { prompt: "p".repeat(2000) } });
      expect(processor.stats().bufferedBytes).toBeLessThanOrEqual(64 * 1024);
    }
    const stats = processor.stats();
    expect(stats.pendingTraces).toBeGreaterThan(20);
    expect(stats.pendingTraces).toBeLessThan(40);
    expect(stats.droppedSpansByReason.overflow).toBe(200 - stats.pendingTraces);
    expectBalanced(stats);
  });
});

describe("reasons found after an early keep", () => {
  it("a trace kept by the baseline at overflow whose error root ends later is stamped and counted under error too", async () => {
    const exporter = new RecordingExporter();
    const { processor, end } = setup({ exporter, policy: policyWith(100), maxTraces: 1 });
    end({ traceId: traceIdOf(1), spanId: CHILD, parentSpanId: ROOT }); // buffered
    end({ traceId: traceIdOf(2), spanId: CHILD, parentSpanId: ROOT }); // overflow: trace 1 decided, baseline keeps it
    end({ traceId: traceIdOf(1), spanId: ROOT, error: true }); // its root fails afterwards
    await processor.forceFlush();
    const root = exporter.spans.find((span) => span.spanContext().traceId === traceIdOf(1) && span.spanContext().spanId === ROOT);
    expect(root?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toEqual(["error", "baseline"]);
    expect(processor.stats().keptTracesByReason).toMatchObject({ error: 1 });
    expect(processor.stats().exportedTracesByReason).toMatchObject({ error: 1, baseline: 1 });
  });
});
