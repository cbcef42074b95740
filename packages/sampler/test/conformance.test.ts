import {
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVICE_NAME,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_SAMPLING_REASONS,
  KEEP_REASONS,
} from "@telltale/core/attributes";
import { decideTrace } from "@telltale/sampler/conformance";
import { TailSamplingSpanProcessor } from "@telltale/sampler";
import {
  corpusPolicy,
  expectedDecisions,
  loadCorpus,
  toOtlpJson,
  toReadableSpans,
  tracesToOtlpJson,
} from "@telltale/sampler/conformance";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RecordingExporter } from "./helpers.js";

const corpus = loadCorpus();
const BASE_TIME_MS = Date.UTC(2026, 0, 1);

afterEach(() => {
  vi.useRealTimers();
});

describe("conformance corpus", () => {
  it("covers every failure the policy keeps, plus healthy traces, with fixed ids", () => {
    expect(corpus.traces.map((trace) => trace.name)).toEqual([
      "healthy-chat",
      "healthy-workflow",
      "healthy-two-services",
      "healthy-just-under-slow",
      "healthy-baseline",
      "failed",
      "slow",
      "over-budget",
      "partial",
      "soft-error",
      "retried",
      "late-span",
      "orphan",
      "duplicate",
      "keep-flag",
      "failed-retried-slow",
      "deadline-exceeded",
      "idempotency-missing",
      "non-recoverable-retry",
      "ai-sdk-stream-incomplete",
      "ai-sdk-loop-partial",
      "healthy-mcp",
      "mcp-tool-error",
      "mcp-late-result",
      "langgraph-interrupted",
      "agents-max-turns",
    ]);
    expect(corpusPolicy(corpus).baseline).toEqual({ percentage: 25, hashSalt: "telltale-conformance" });
  });

  it("decideTrace reaches the expected decision and reasons for every trace", () => {
    const policy = corpusPolicy(corpus);
    for (const trace of corpus.traces) {
      const decision = decideTrace(policy, toReadableSpans(trace, { baseTimeMs: BASE_TIME_MS }));
      expect({ name: trace.name, ...decision }).toEqual({
        name: trace.name,
        keep: trace.expected.decision === "keep",
        reasons: trace.expected.reasons,
      });
    }
  });

  it("the in-process engine, fed spans in end-time order in real time, keeps and drops exactly as expected", async () => {
    vi.useFakeTimers({ now: BASE_TIME_MS });
    const exporter = new RecordingExporter();
    const policy = corpusPolicy(corpus);
    const processor = new TailSamplingSpanProcessor({ exporter, policy, scheduledDelayMillis: 100 });

    // All traces start at the same instant; every span is handed over when it ends, as the SDK does.
    const timeline: { endMs: number; span: ReadableSpan }[] = [];
    for (const trace of corpus.traces) {
      const spans = toReadableSpans(trace, { baseTimeMs: BASE_TIME_MS });
      trace.spans.forEach((spec, index) => timeline.push({ endMs: spec.endMs, span: spans[index] as ReadableSpan }));
    }
    timeline.sort((a, b) => a.endMs - b.endMs);
    let clock = 0;
    for (const { endMs, span } of timeline) {
      await vi.advanceTimersByTimeAsync(endMs - clock);
      clock = endMs;
      processor.onEnd(span);
    }
    // Past every grace period: all decisions made by the timers, not by a flush.
    await vi.advanceTimersByTimeAsync(policy.buffer.decisionWaitMs + 200);
    expect(processor.stats().pendingTraces).toBe(0);

    const expected = expectedDecisions(corpus);
    const kept = [...expected].filter(([, value]) => value.decision === "keep").map(([traceId]) => traceId);
    expect(exporter.traceIds()).toEqual(kept.sort());

    // Every span of a kept trace is exported, and its root carries the expected reasons.
    const exportedByTrace = exporter.spanIdsByTrace();
    for (const trace of corpus.traces.filter((candidate) => candidate.expected.decision === "keep")) {
      expect(exportedByTrace.get(trace.traceId)?.sort()).toEqual(trace.spans.map((span) => span.spanId).sort());
      const root = trace.spans.find((span) => span.parentSpanId === undefined);
      expect({ name: trace.name, reasons: exporter.span(root?.spanId ?? "")?.attributes[ATTR_TELLTALE_SAMPLING_REASONS] }).toEqual({
        name: trace.name,
        reasons: trace.expected.reasons,
      });
    }
    const droppedTraces = corpus.traces.filter((trace) => trace.expected.decision === "drop");
    expect(processor.stats()).toMatchObject({
      tracesKept: kept.length,
      tracesExported: kept.length,
      tracesDropped: droppedTraces.length,
      spansDropped: droppedTraces.reduce((sum, trace) => sum + trace.spans.length, 0),
    });
    // Every reason a kept trace carries is counted, including those only a keep mark names (deadline_exceeded,
    // idempotency_missing, args_changed, non_recoverable_retry), and counted as exported.
    const expectedByReason = Object.fromEntries(KEEP_REASONS.map((reason) => [reason, 0]));
    for (const trace of corpus.traces) for (const reason of trace.expected.reasons) expectedByReason[reason]! += 1;
    expect(processor.stats().keptTracesByReason).toEqual(expectedByReason);
    expect(processor.stats().exportedTracesByReason).toEqual(expectedByReason);
    for (const reason of ["deadline_exceeded", "idempotency_missing", "args_changed", "non_recoverable_retry"] as const) {
      expect(processor.stats().keptTracesByReason[reason]).toBe(1);
    }
    await processor.shutdown();
  });
});

describe("corpus converters", () => {
  const failed = corpus.traces.find((trace) => trace.name === "failed");

  it("toReadableSpans keeps ids, parents, times, status and resource", () => {
    const spans = toReadableSpans(failed!, { baseTimeMs: BASE_TIME_MS });
    const [root, call] = spans;
    expect(root?.spanContext()).toEqual({ traceId: "7e1172a1e00600000000000000000000", spanId: "00065a1100000001", traceFlags: 1 });
    expect(root?.parentSpanContext).toBeUndefined();
    expect(call?.parentSpanContext).toEqual({
      traceId: "7e1172a1e00600000000000000000000",
      spanId: "00065a1100000001",
      traceFlags: 1,
      isRemote: false,
    });
    expect(call?.startTime).toEqual([BASE_TIME_MS / 1000, 10_000_000]);
    expect(call?.endTime).toEqual([BASE_TIME_MS / 1000, 500_000_000]);
    expect(call?.duration).toEqual([0, 490_000_000]);
    expect(call?.status).toEqual({ code: 2, message: "429 Rate limit reached" });
    expect(call?.attributes[ATTR_TELLTALE_ERROR_CLASS]).toBe("rate_limit");
    expect(call?.resource.attributes[ATTR_SERVICE_NAME]).toBe("agent-api");
  });

  it("toOtlpJson builds an ExportTraceServiceRequest body (hex ids, int64 strings, OTLP enums)", () => {
    const body = toOtlpJson(failed!, { baseTimeMs: BASE_TIME_MS });
    expect(body.resourceSpans).toHaveLength(1);
    const resource = body.resourceSpans[0]!;
    expect(resource.resource.attributes).toEqual([{ key: ATTR_SERVICE_NAME, value: { stringValue: "agent-api" } }]);
    const [root, call] = resource.scopeSpans[0]!.spans;
    expect(root).toEqual({
      traceId: "7e1172a1e00600000000000000000000",
      spanId: "00065a1100000001",
      name: "invoke_agent support",
      kind: 2,
      startTimeUnixNano: "1767225600000000000",
      endTimeUnixNano: "1767225600600000000",
      attributes: [],
      status: { code: 0 },
    });
    expect(call?.parentSpanId).toBe("00065a1100000001");
    expect(call?.kind).toBe(3);
    expect(call?.status).toEqual({ code: 2, message: "429 Rate limit reached" });
    expect(call?.attributes).toContainEqual({ key: ATTR_HTTP_RESPONSE_STATUS_CODE, value: { intValue: "429" } });
    expect(call?.attributes).toContainEqual({ key: ATTR_TELLTALE_ERROR_RECOVERABLE, value: { boolValue: true } });
  });

  it("tracesToOtlpJson groups spans by service", () => {
    const twoServices = corpus.traces.find((trace) => trace.name === "healthy-two-services")!;
    const body = tracesToOtlpJson([twoServices], { baseTimeMs: BASE_TIME_MS });
    expect(
      body.resourceSpans.map((resource) => [
        resource.resource.attributes[0]?.value,
        resource.scopeSpans[0]?.spans.map((span) => span.name),
      ]),
    ).toEqual([
      [{ stringValue: "agent-api" }, ["invoke_agent dispatcher", "publish jobs"]],
      [{ stringValue: "tool-worker" }, ["process jobs"]],
    ]);
    const retried = corpus.traces.find((trace) => trace.name === "retried")!;
    const attributes = toOtlpJson(retried).resourceSpans[0]!.scopeSpans[0]!.spans[1]!.attributes;
    expect(attributes).toContainEqual({
      key: ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
      value: { arrayValue: { values: [{ intValue: "503" }, { intValue: "503" }, { intValue: "200" }] } },
    });
  });
});
