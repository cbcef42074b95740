/**
 * Fault: the collector is killed (SIGKILL, nothing flushed) and restarted mid-run. The app keeps
 * running: ending spans and flushing never throw and never hang while the collector is gone, and the spans it
 * could not deliver are exactly the ones the in-process sampler's exporter reports as dropped (`exporter_failed`).
 */
import { ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_GEN_AI_TOOL_NAME } from "@telltale/core/attributes";
import { parsePolicy, TailSamplingSpanProcessor } from "@telltale/sampler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  goBinaries,
  pollUntil,
  startJaeger,
  startSamplingCollector,
  type RunningJaeger,
  type SamplingCollector,
} from "../support/index.js";

const TRACES_PER_PHASE = 4;
const SPANS_PER_TRACE = 2;

let jaeger: RunningJaeger | undefined;
let collector: SamplingCollector | undefined;

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
  collector = await startSamplingCollector({ name: "collector-restart", jaeger });
}, 900_000);

afterAll(async () => {
  await collector?.stop();
  await jaeger?.stop();
});

describe("collector killed and restarted mid-run", () => {
  it("never blocks or throws in the app, and counts exactly the spans that did not arrive as lost", async () => {
    const processor = new TailSamplingSpanProcessor({
      exporter: new OTLPTraceExporter({ url: `${collector!.otlpHttpUrl}/v1/traces`, timeoutMillis: 2_000 }),
      // Every trace here fails, so every trace is kept: what goes missing is the outage's doing, not sampling's.
      policy: parsePolicy({ baseline: { percentage: 0 } }),
      scheduledDelayMillis: 50,
      exportTimeoutMillis: 5_000,
    });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": "e2e-restart" }),
      spanProcessors: [processor],
    });
    const tracer = provider.getTracer("telltale-e2e");

    /** Failed agent requests (a root span and a failed tool call under it); returns their trace ids. */
    const runFailedRequests = (phase: string): string[] =>
      Array.from({ length: TRACES_PER_PHASE }, (_, index) => {
        const root = tracer.startSpan(`request ${phase}-${index}`);
        const tool = tracer.startSpan(
          "execute_tool search",
          { attributes: { [ATTR_GEN_AI_TOOL_NAME]: "search" } },
          trace.setSpan(ROOT_CONTEXT, root),
        );
        tool.setStatus({ code: SpanStatusCode.ERROR, message: "search backend unavailable" });
        tool.end();
        root.end();
        return root.spanContext().traceId;
      });

    const before = runFailedRequests("before");
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    // The collector holds traces until it decides: wait until it has forwarded them before crashing it.
    const allInJaeger = (traceIds: string[]) => async () => {
      const found = await Promise.all(traceIds.map((traceId) => jaeger!.client.getTrace(traceId)));
      return found.every((stored) => stored?.spans.length === SPANS_PER_TRACE) ? true : undefined;
    };
    await pollUntil("the traces sent before the crash in Jaeger", allInJaeger(before));
    expect(processor.stats().spansExported).toBe(TRACES_PER_PHASE * SPANS_PER_TRACE);

    await collector!.kill();
    expect(collector!.process.running).toBe(false);
    // The app goes on while nothing listens: no throw from span calls, and flushing settles instead of hanging.
    let during: string[] = [];
    expect(() => {
      during = runFailedRequests("during");
    }).not.toThrow();
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    const afterOutage = processor.stats();
    expect(afterOutage.lostSpansByReason.exporter_failed).toBe(TRACES_PER_PHASE * SPANS_PER_TRACE);
    expect(afterOutage.spansExported).toBe(TRACES_PER_PHASE * SPANS_PER_TRACE);

    await collector!.restart();
    const after = runFailedRequests("after");
    await expect(provider.forceFlush()).resolves.toBeUndefined();
    await pollUntil("the traces sent after the restart in Jaeger", allInJaeger(after));

    // The outage's traces were sent before the "after" traces, which are now in Jaeger: their absence is final.
    const stored = new Map<string, number>();
    for (const traceId of [...before, ...during, ...after]) {
      stored.set(traceId, (await jaeger!.client.getTrace(traceId))?.spans.length ?? 0);
    }
    expect(during.map((traceId) => stored.get(traceId))).toEqual(during.map(() => 0));
    expect([...before, ...after].map((traceId) => stored.get(traceId))).toEqual(
      [...before, ...after].map(() => SPANS_PER_TRACE),
    );

    // What the app reports is exactly what happened: delivered spans are in Jaeger, dropped spans are not.
    const final = processor.stats();
    const spansInJaeger = [...stored.values()].reduce((sum, count) => sum + count, 0);
    const spansMissing = (before.length + during.length + after.length) * SPANS_PER_TRACE - spansInJaeger;
    expect(final.spansExported).toBe(spansInJaeger);
    expect(final.spansLost).toBe(spansMissing);
    expect(final.lostSpansByReason.exporter_failed).toBe(spansMissing);
    expect(final.tracesKept).toBe(3 * TRACES_PER_PHASE);
    await provider.shutdown();
  });
});
