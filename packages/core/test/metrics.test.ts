import { describe, expect, it } from "vitest";
import { metrics, trace } from "@opentelemetry/api";
import { MeterProvider, type DataPoint, type Histogram, type MetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTR_GEN_AI_REQUEST_MODEL, METRIC_GEN_AI_CLIENT_OPERATION_DURATION, startLlmCall } from "@telltale/core";
import { PullMetricReader } from "./otel.js";

// Core asks the API for the global meter provider only when the API's globals change (metrics.ts): these follow a
// provider through registration, replacement and removal, and hold the API's globals key to the one core reads.
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })] }));

function oneCall(model: string): void {
  startLlmCall(trace.getTracer("metrics-test"), { provider: "openai", operation: "chat", requestModel: model }).end();
}

async function durationModels(reader: MetricReader): Promise<unknown[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === METRIC_GEN_AI_CLIENT_OPERATION_DURATION)
    .flatMap((metric) => metric.dataPoints as DataPoint<Histogram>[])
    .map((point) => point.attributes[ATTR_GEN_AI_REQUEST_MODEL])
    .sort();
}

function register(): { provider: MeterProvider; reader: PullMetricReader } {
  const reader = new PullMetricReader();
  const provider = new MeterProvider({ readers: [reader] });
  expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
  return { provider, reader };
}

describe("the global meter provider", () => {
  it("is followed through registration, replacement and removal", async () => {
    oneCall("before-any-provider");

    const first = register();
    // The key core reads the API's globals under (metrics.ts): the API keeps the registered provider there.
    const apiGlobals = (globalThis as unknown as Record<symbol, { metrics?: unknown } | undefined>)[Symbol.for("opentelemetry.js.api.1")];
    expect(apiGlobals?.metrics).toBe(first.provider);
    oneCall("first-a");
    oneCall("first-b");
    expect(await durationModels(first.reader)).toEqual(["first-a", "first-b"]);

    metrics.disable();
    oneCall("while-disabled");

    const second = register();
    oneCall("second");
    expect(await durationModels(second.reader)).toEqual(["second"]);
    expect(await durationModels(first.reader)).toEqual(["first-a", "first-b"]);

    metrics.disable();
    oneCall("after-removal");
    expect(await durationModels(second.reader)).toEqual(["second"]);
  });
});
