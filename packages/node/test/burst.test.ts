/**
 * Kept means delivered, end to end: an outage burst of thousands of failing workflows goes through the in-process
 * sampler and the real OTLP/protobuf exporter to a live loopback receiver. With a healthy receiver none is lost and
 * the sampler's counts equal what the receiver got; with a slow one and a small export budget the healthy baseline
 * gives way before any failure trace, and the warning sink says so.
 */
import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_TELLTALE_SAMPLING_REASONS } from "@telltale/core/attributes";
import { parsePolicy, TailSamplingSpanProcessor, type TailSamplingSpanProcessorOptions } from "@telltale/sampler";
import { afterEach, describe, expect, it } from "vitest";
import { startProtoReceiver, type ProtoReceiver } from "./otlp-proto-receiver.js";

const SPANS_PER_WORKFLOW = 5;
let receiver: ProtoReceiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function pipeline(url: string, options: Partial<TailSamplingSpanProcessorOptions>, baseline: number) {
  const warnings: string[] = [];
  const sampler = new TailSamplingSpanProcessor({
    exporter: new OTLPTraceExporter({ url: `${url}/v1/traces` }),
    policy: parsePolicy({ baseline: { percentage: baseline }, buffer: { decisionWaitMs: 100 } }),
    warningSink: (line) => warnings.push(line),
    shutdownTimeoutMillis: 90_000,
    ...options,
  });
  const provider = new TracerProvider({ spanProcessors: [sampler] });
  return { sampler, provider, tracer: provider.getTracer("burst"), warnings };
}

/** One agent-shaped workflow: a root, three steps, a tool call; `failing` makes the tool call fail. */
function workflow(tracer: ReturnType<TracerProvider["getTracer"]>, failing: boolean): string {
  const root = tracer.startSpan("invoke_workflow support", { attributes: { "gen_ai.workflow.name": "support" } });
  const parent = trace.setSpan(context.active(), root);
  for (let step = 0; step < SPANS_PER_WORKFLOW - 2; step++) {
    tracer.startSpan("step plan", { attributes: { "telltale.step.name": `step-${step}` } }, parent).end();
  }
  const tool = tracer.startSpan("execute_tool lookup", { attributes: { "gen_ai.tool.name": "lookup" } }, parent);
  if (failing) tool.setStatus({ code: SpanStatusCode.ERROR, message: "upstream 503" });
  tool.end();
  root.end();
  return root.spanContext().traceId;
}

async function run(tracer: ReturnType<TracerProvider["getTracer"]>, count: number, failing: boolean): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    ids.push(workflow(tracer, failing));
    // An app yields between requests; the exporter's sockets get their turn.
    if (index % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
  }
  return ids;
}

function receivedByTrace(spans: ProtoReceiver["spans"]): Map<string, number> {
  const byTrace = new Map<string, number>();
  for (const span of spans) byTrace.set(span.traceId, (byTrace.get(span.traceId) ?? 0) + 1);
  return byTrace;
}

describe("an outage burst through the real OTLP exporter", () => {
  it("a healthy receiver gets every one of 4,000 failing workflows whole, and stats() equals what it got", async () => {
    receiver = await startProtoReceiver();
    const { sampler, provider, tracer, warnings } = pipeline(receiver.url, {}, 5);
    const failing = await run(tracer, 4000, true);
    const healthy = await run(tracer, 2000, false);
    await provider.shutdown();

    const received = receivedByTrace(receiver.spans);
    expect(failing.filter((id) => received.get(id) !== SPANS_PER_WORKFLOW)).toEqual([]);
    const stats = sampler.stats();
    expect(stats).toMatchObject({ spansLost: 0, tracesLost: 0, keptTracesPending: 0, spansReceived: 6000 * SPANS_PER_WORKFLOW });
    expect(stats.exportedTracesByReason.error).toBe(4000);
    expect(stats.spansExported).toBe(receiver.spans.length);
    expect(stats.tracesExported).toBe(received.size);
    expect(stats.tracesExported).toBe(4000 + stats.exportedTracesByReason.baseline);
    expect(healthy.filter((id) => received.has(id))).toHaveLength(stats.exportedTracesByReason.baseline);
    const roots = receiver.spans.filter((span) => span.name === "invoke_workflow support" && failing.includes(span.traceId));
    expect(new Set(roots.map((span) => JSON.stringify(span.attributes[ATTR_TELLTALE_SAMPLING_REASONS])))).toEqual(new Set(['["error"]']));
    expect(warnings).toEqual([]);
  }, 180_000);

  it("a slow receiver with a small export budget loses baseline traces, never a failure trace, and says so", async () => {
    receiver = await startProtoReceiver({ delayMs: 500 });
    const { sampler, provider, tracer, warnings } = pipeline(
      receiver.url,
      { maxExportQueueBytes: 3 * 1024 * 1024, maxConcurrentExports: 1 },
      100,
    );
    const healthy = await run(tracer, 2000, false); // every one kept by the 100 % baseline
    await new Promise((resolve) => setTimeout(resolve, 300)); // decided and queued behind the slow exports
    const failing = await run(tracer, 1000, true);
    await provider.shutdown();

    const received = receivedByTrace(receiver.spans);
    expect(failing.filter((id) => received.get(id) !== SPANS_PER_WORKFLOW)).toEqual([]);
    const stats = sampler.stats();
    expect(stats.lostTracesByReason.error).toBe(0);
    expect(stats.exportedTracesByReason.error).toBe(1000);
    expect(stats.lostTracesByReason.baseline).toBeGreaterThan(0);
    expect(stats.lostTracesByLossReason.export_queue_full).toBe(stats.lostTracesByReason.baseline);
    // What was counted exported is exactly what arrived, and baseline traces arrived whole or not at all.
    expect(stats.spansExported).toBe(receiver.spans.length);
    expect(healthy.filter((id) => received.has(id) && received.get(id) !== SPANS_PER_WORKFLOW)).toEqual([]);
    expect(stats.tracesExported).toBe(received.size);
    expect(warnings.join("")).toMatch(/span\(s\) of kept traces not delivered \(export_queue_full \d+\)/);
    expect(warnings.join("")).toMatch(/kept trace\(s\) lost, by keep reason: baseline \d+/);
    expect(warnings.join("")).not.toMatch(/keep reason: [^.]*error/);
  }, 180_000);
});
