import { diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { MeterProvider, MetricReader, type SumMetricData } from "@opentelemetry/sdk-metrics";
import {
  ATTR_GEN_AI_WORKFLOW_NAME,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SAMPLER_DROP_REASON,
  ATTR_TELLTALE_SAMPLER_KEEP_REASON,
  ATTR_TELLTALE_SAMPLING_REASONS,
  ATTR_TELLTALE_SOFT_ERROR,
  METRIC_TELLTALE_SAMPLER_DROPPED,
  METRIC_TELLTALE_SAMPLER_EXPORTED,
  METRIC_TELLTALE_SAMPLER_KEPT,
} from "@telltale/core/attributes";
import { parsePolicy, TailSamplingSpanProcessor, type TailSamplingSpanProcessorOptions } from "@telltale/sampler";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { makeSpan, RecordingExporter, spanIdOf, traceIdOf, type SpanSpec } from "./helpers.js";

const GRACE_MS = 2000;
const EXPORT_DELAY_MS = 50;
// Baseline 0 % so that "healthy" means "dropped" and every kept trace is kept for a rule.
const policy = parsePolicy({
  rules: { slow: { thresholdMs: 5000 } },
  baseline: { percentage: 0 },
  buffer: { decisionWaitMs: GRACE_MS, maxTraceAgeMs: 30_000 },
});

function setup(options: Partial<TailSamplingSpanProcessorOptions> = {}) {
  const exporter = new RecordingExporter();
  const processor = new TailSamplingSpanProcessor({
    exporter,
    policy,
    scheduledDelayMillis: EXPORT_DELAY_MS,
    warningSink: () => {},
    ...options,
  });
  const end = (spec: SpanSpec) => processor.onEnd(makeSpan(spec));
  return { exporter, processor, end };
}

const T1 = traceIdOf(1);
const T2 = traceIdOf(2);
const T3 = traceIdOf(3);
const T4 = traceIdOf(4);
const ROOT = spanIdOf(0x100);
const CHILD = spanIdOf(0x200);
const LATE = spanIdOf(0x300);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  diag.disable();
});

describe("TailSamplingSpanProcessor: deciding", () => {
  it("waits the grace period after the root ends, then drops a healthy trace", async () => {
    const { exporter, processor, end } = setup();
    end({ traceId: T1, spanId: CHILD, parentSpanId: ROOT });
    end({ traceId: T1, spanId: ROOT });
    await vi.advanceTimersByTimeAsync(GRACE_MS - 1);
    expect(processor.stats()).toMatchObject({ pendingTraces: 1, pendingSpans: 2, tracesDropped: 0 });
    await vi.advanceTimersByTimeAsync(1 + EXPORT_DELAY_MS);
    expect(processor.stats()).toMatchObject({ pendingTraces: 0, pendingSpans: 0, tracesDropped: 1, spansDropped: 2 });
    expect(processor.stats().droppedSpansByReason.sampled_out).toBe(2);
    expect(exporter.spans).toEqual([]);
  });

  it("keeps a trace the moment a span proves it worth keeping, before its root ends", async () => {
    const { exporter, processor, end } = setup();
    end({ traceId: T1, spanId: spanIdOf(0x201), parentSpanId: ROOT });
    end({ traceId: T1, spanId: CHILD, parentSpanId: ROOT, error: true });
    await vi.advanceTimersByTimeAsync(EXPORT_DELAY_MS);
    // Both buffered spans went out already; the root is still running.
    expect(exporter.spanIdsByTrace().get(T1)).toEqual([spanIdOf(0x201), CHILD]);
    expect(processor.stats()).toMatchObject({ tracesKept: 1, pendingTraces: 0 });

    end({ traceId: T1, spanId: spanIdOf(0x202), parentSpanId: ROOT, attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 2 } });
    end({ traceId: T1, spanId: ROOT, endMs: 6000 });
    await vi.advanceTimersByTimeAsync(EXPORT_DELAY_MS);
    expect(exporter.spanIdsByTrace().get(T1)).toEqual([spanIdOf(0x201), CHILD, spanIdOf(0x202), ROOT]);
    // The root records every reason, including those of spans that ended after the early decision.
    expect(exporter.span(ROOT)?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toEqual(["error", "retried", "slow"]);
    expect(exporter.span(CHILD)?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toBeUndefined();
    expect(processor.stats().keptTracesByReason).toMatchObject({ error: 1, retried: 1, slow: 1, baseline: 0 });
  });

  it("sets telltale.sampling.reasons on the kept trace's root span only", async () => {
    const { exporter, end } = setup();
    end({ traceId: T1, spanId: CHILD, parentSpanId: ROOT, startMs: 0, endMs: 100 });
    end({ traceId: T1, spanId: ROOT, startMs: 0, endMs: 5500 });
    await vi.advanceTimersByTimeAsync(GRACE_MS + EXPORT_DELAY_MS);
    const root = exporter.span(ROOT);
    expect(root?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toEqual(["slow"]);
    expect(root?.spanContext()).toEqual({ traceId: T1, spanId: ROOT, traceFlags: 1 });
    expect(root?.parentSpanContext).toBeUndefined();
    expect(exporter.span(CHILD)?.parentSpanContext?.spanId).toBe(ROOT);
    expect(exporter.span(CHILD)?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toBeUndefined();
  });

  it("treats a span with a remote parent as the local root", async () => {
    const { exporter, end } = setup();
    end({ traceId: T1, spanId: ROOT, parentSpanId: spanIdOf(0x999), remoteParent: true, error: true });
    await vi.advanceTimersByTimeAsync(EXPORT_DELAY_MS);
    expect(exporter.span(ROOT)?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toEqual(["error"]);
  });

  it("decides a trace whose root never ends after maxTraceAgeMs", async () => {
    const { processor, end } = setup({ maxTraceAgeMs: 10_000 });
    end({ traceId: T1, spanId: CHILD, parentSpanId: ROOT });
    await vi.advanceTimersByTimeAsync(9_999);
    expect(processor.stats().pendingTraces).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(processor.stats()).toMatchObject({ pendingTraces: 0, tracesDropped: 1 });
  });

  it("applies per-workflow slow thresholds from gen_ai.workflow.name on any span, also to a trace kept early", async () => {
    const workflows = parsePolicy({
      rules: { slow: { thresholdMs: 5000, workflows: { quick: 500, ingest: 60_000 } } },
      baseline: { percentage: 0 },
      buffer: { decisionWaitMs: GRACE_MS },
    });
    const { exporter, processor, end } = setup({ policy: workflows });
    const named = (name: string) => ({ [ATTR_GEN_AI_WORKFLOW_NAME]: name });
    end({ traceId: T1, spanId: CHILD, parentSpanId: ROOT, attributes: named("quick") });
    end({ traceId: T1, spanId: ROOT, endMs: 600 });
    end({ traceId: T2, spanId: CHILD, parentSpanId: ROOT, attributes: named("ingest") });
    end({ traceId: T2, spanId: ROOT, endMs: 30_000 });
    end({ traceId: T3, spanId: spanIdOf(0x201), parentSpanId: ROOT, error: true });
    end({ traceId: T3, spanId: CHILD, parentSpanId: ROOT, attributes: named("quick") });
    end({ traceId: T3, spanId: ROOT, endMs: 600 });
    await vi.advanceTimersByTimeAsync(GRACE_MS + EXPORT_DELAY_MS);
    const reasonsOf = (traceId: string) =>
      exporter.spans.find((span) => span.spanContext().traceId === traceId && span.spanContext().spanId === ROOT)?.attributes[
        ATTR_TELLTALE_SAMPLING_REASONS
      ];
    expect([reasonsOf(T1), reasonsOf(T2), reasonsOf(T3)]).toEqual([["slow"], undefined, ["error", "slow"]]);
    expect(processor.stats()).toMatchObject({ tracesKept: 2, tracesDropped: 1 });
  });

  it("reads the clock per trace and per root, not per span (a clock read can cost as much as a span's other work)", () => {
    const { processor, end } = setup();
    const clock = vi.spyOn(Date, "now");
    for (let index = 0; index < 19; index++) end({ traceId: T1, spanId: spanIdOf(index + 1), parentSpanId: ROOT });
    end({ traceId: T1, spanId: ROOT });
    // First span: when the trace was first seen, and its decision timer; root: its decision deadline, and the timer
    // moved up to it. (Once per span, it read 22.)
    expect(clock).toHaveBeenCalledTimes(4);
    expect(processor.stats()).toMatchObject({ pendingTraces: 1, pendingSpans: 20 });
    clock.mockRestore();
  });

  it("decides a trace that reaches maxSpansPerTrace at once", async () => {
    const { processor, end } = setup({ maxSpansPerTrace: 3 });
    for (let index = 0; index < 3; index++) end({ traceId: T1, spanId: spanIdOf(index + 1), parentSpanId: ROOT });
    expect(processor.stats()).toMatchObject({ pendingTraces: 0, tracesDropped: 1 });
    expect(processor.stats().droppedSpansByReason.span_limit).toBe(3);
  });
});

describe("TailSamplingSpanProcessor: late spans follow the decision", () => {
  it("a span ending within the grace period joins the trace before the decision", async () => {
    const { exporter, end } = setup();
    end({ traceId: T1, spanId: ROOT });
    await vi.advanceTimersByTimeAsync(GRACE_MS - 500);
    end({ traceId: T1, spanId: LATE, parentSpanId: ROOT, attributes: { [ATTR_TELLTALE_SOFT_ERROR]: "empty_tool_result" } });
    await vi.advanceTimersByTimeAsync(EXPORT_DELAY_MS);
    expect(exporter.spanIdsByTrace().get(T1)).toEqual([ROOT, LATE]);
    expect(exporter.span(ROOT)?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toEqual(["soft_error"]);
  });

  it("after a keep decision, late spans are exported", async () => {
    const { exporter, end } = setup();
    end({ traceId: T1, spanId: ROOT, error: true });
    await vi.advanceTimersByTimeAsync(GRACE_MS * 3);
    end({ traceId: T1, spanId: LATE, parentSpanId: ROOT });
    await vi.advanceTimersByTimeAsync(EXPORT_DELAY_MS);
    expect(exporter.spanIdsByTrace().get(T1)).toEqual([ROOT, LATE]);
  });

  it("after a drop decision, healthy late spans are dropped and counted", async () => {
    const { exporter, processor, end } = setup();
    end({ traceId: T1, spanId: ROOT });
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    expect(processor.stats().tracesDropped).toBe(1);
    end({ traceId: T1, spanId: LATE, parentSpanId: ROOT });
    await vi.advanceTimersByTimeAsync(GRACE_MS + EXPORT_DELAY_MS);
    expect(exporter.spans).toEqual([]);
    // The late span did not start a new buffered trace.
    expect(processor.stats()).toMatchObject({ pendingTraces: 0, tracesDropped: 1, spansDropped: 2 });
    expect(processor.stats().droppedSpansByReason.sampled_out).toBe(2);
  });

  it("after a drop decision, a late error span is still kept (never lose an error)", async () => {
    const { exporter, processor, end } = setup();
    end({ traceId: T1, spanId: ROOT });
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    end({ traceId: T1, spanId: LATE, parentSpanId: ROOT, error: true });
    await vi.advanceTimersByTimeAsync(EXPORT_DELAY_MS);
    expect(exporter.spanIdsByTrace().get(T1)).toEqual([LATE]);
    expect(processor.stats()).toMatchObject({ tracesKept: 1, tracesDropped: 0 });
  });
});

describe("TailSamplingSpanProcessor: bounded memory", () => {
  it("on overflow decides the oldest healthy trace first; an error trace is kept, never dropped", async () => {
    const logged: string[] = [];
    const logger: DiagLogger = {
      error: (message) => logged.push(`error ${message}`),
      warn: (message) => logged.push(`warn ${message}`),
      info: () => {},
      debug: () => {},
      verbose: () => {},
    };
    diag.setLogger(logger, DiagLogLevel.WARN);
    const { exporter, processor, end } = setup({ maxTraces: 2 });

    end({ traceId: T1, spanId: spanIdOf(0x11), parentSpanId: ROOT }); // healthy, oldest
    end({ traceId: T2, spanId: spanIdOf(0x21), parentSpanId: ROOT }); // healthy
    end({ traceId: T3, spanId: spanIdOf(0x31), parentSpanId: ROOT, error: true }); // kept at once, not buffered
    expect(processor.stats()).toMatchObject({ pendingTraces: 2, tracesKept: 1, tracesDropped: 0 });

    end({ traceId: T4, spanId: spanIdOf(0x41), parentSpanId: ROOT }); // needs room: T1 goes
    expect(processor.stats()).toMatchObject({ pendingTraces: 2, tracesKept: 1, tracesDropped: 1 });
    expect(processor.stats().droppedSpansByReason.overflow).toBe(1);

    // T2 (next oldest) is still buffered and can still be kept by a later error span.
    end({ traceId: T2, spanId: spanIdOf(0x22), parentSpanId: ROOT, error: true });
    await vi.advanceTimersByTimeAsync(EXPORT_DELAY_MS);
    expect(exporter.traceIds()).toEqual([T2, T3]);
    expect(exporter.spanIdsByTrace().get(T2)).toEqual([spanIdOf(0x21), spanIdOf(0x22)]);
    expect(processor.stats()).toMatchObject({ tracesKept: 2, tracesDropped: 1, pendingTraces: 1 });
    expect(logged).toEqual(["warn telltale sampler: dropped 1 span(s) of undecided traces (overflow)"]);
  });

  it("the decision cache is bounded: the oldest decisions are forgotten", async () => {
    const { processor, end } = setup({ decisionCacheSize: 1 });
    end({ traceId: T1, spanId: ROOT });
    end({ traceId: T2, spanId: ROOT });
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    // T1's decision was evicted by T2's: its late span starts a new buffered trace; T2's follows its decision.
    end({ traceId: T1, spanId: LATE, parentSpanId: ROOT });
    end({ traceId: T2, spanId: LATE, parentSpanId: ROOT });
    expect(processor.stats()).toMatchObject({ pendingTraces: 1, pendingSpans: 1 });
  });
});

describe("TailSamplingSpanProcessor: flush, shutdown, exporter failures", () => {
  it("shutdown decides and exports every pending kept trace, then shuts the exporter down", async () => {
    const { exporter, processor, end } = setup();
    end({ traceId: T1, spanId: ROOT, endMs: 9000 }); // slow, still in its grace period
    end({ traceId: T2, spanId: CHILD, parentSpanId: ROOT, error: true }); // kept, root still running
    end({ traceId: T3, spanId: ROOT }); // healthy
    await processor.shutdown();
    expect(exporter.traceIds()).toEqual([T1, T2]);
    expect(exporter.span(ROOT)?.attributes[ATTR_TELLTALE_SAMPLING_REASONS]).toEqual(["slow"]);
    expect(exporter.shutdownCalled).toBe(true);
    expect(processor.stats()).toMatchObject({ tracesKept: 2, tracesDropped: 1, spansExported: 2, pendingTraces: 0 });

    end({ traceId: T4, spanId: ROOT, error: true });
    expect(processor.stats().droppedSpansByReason.shutdown).toBe(1);
  });

  it("forceFlush exports kept spans without waiting for the grace period or the batch delay", async () => {
    const { exporter, processor, end } = setup({ scheduledDelayMillis: 60_000 });
    end({ traceId: T1, spanId: ROOT, attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 1 } });
    end({ traceId: T2, spanId: ROOT });
    await processor.forceFlush();
    expect(exporter.traceIds()).toEqual([T1]);
    expect(processor.stats()).toMatchObject({ spansExported: 1, tracesDropped: 1, exportQueueLength: 0 });
  });

  it("exports in batches of maxExportBatchSize", async () => {
    const { exporter, end } = setup({ maxExportBatchSize: 2 });
    for (let index = 1; index <= 5; index++) end({ traceId: traceIdOf(index), spanId: ROOT, error: true });
    expect(exporter.batches.map((batch) => batch.length)).toEqual([2, 2]);
    await vi.advanceTimersByTimeAsync(EXPORT_DELAY_MS);
    expect(exporter.batches.map((batch) => batch.length)).toEqual([2, 2, 1]);
  });

  it("counts spans the exporter failed to take as lost after keep (exporter_failed), and the trace as lost", async () => {
    const { exporter, processor, end } = setup();
    exporter.fail = true;
    end({ traceId: T1, spanId: CHILD, parentSpanId: ROOT, error: true });
    end({ traceId: T1, spanId: ROOT });
    await processor.forceFlush();
    expect(processor.stats()).toMatchObject({ tracesKept: 1, tracesLost: 1, tracesExported: 0, spansExported: 0, spansDropped: 0, spansLost: 2 });
    expect(processor.stats().lostSpansByReason.exporter_failed).toBe(2);
    expect(processor.stats().lostTracesByReason.error).toBe(1);
    expect(processor.stats().lostTracesByLossReason.exporter_failed).toBe(1);
  });

  it("records kept traces and dropped spans as metrics", async () => {
    class Reader extends MetricReader {
      protected async onShutdown(): Promise<void> {}
      protected async onForceFlush(): Promise<void> {}
    }
    const reader = new Reader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const { processor, end } = setup({ meterProvider, maxTraces: 1 });
    end({ traceId: T1, spanId: ROOT, error: true });
    end({ traceId: T2, spanId: CHILD, parentSpanId: ROOT });
    end({ traceId: T3, spanId: CHILD, parentSpanId: ROOT }); // overflow: T2 decided and dropped
    await processor.forceFlush(); // T3 decided and dropped (sampled_out)

    const { resourceMetrics } = await reader.collect();
    const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics) as SumMetricData[];
    const kept = metrics.find((metric) => metric.descriptor.name === METRIC_TELLTALE_SAMPLER_KEPT);
    const dropped = metrics.find((metric) => metric.descriptor.name === METRIC_TELLTALE_SAMPLER_DROPPED);
    expect(kept?.dataPoints.map((point) => [point.attributes[ATTR_TELLTALE_SAMPLER_KEEP_REASON], point.value])).toEqual([["error", 1]]);
    const exported = metrics.find((metric) => metric.descriptor.name === METRIC_TELLTALE_SAMPLER_EXPORTED);
    expect(exported?.dataPoints.map((point) => [point.attributes[ATTR_TELLTALE_SAMPLER_KEEP_REASON], point.value])).toEqual([["error", 1]]);
    expect(
      dropped?.dataPoints.map((point) => [point.attributes[ATTR_TELLTALE_SAMPLER_DROP_REASON], point.value]).sort(),
    ).toEqual([
      ["overflow", 1],
      ["sampled_out", 1],
    ]);
  });
});
