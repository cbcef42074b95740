import { describe, expect, it } from "vitest";
import { metrics, trace } from "@opentelemetry/api";
import { MeterProvider, type DataPoint, type Histogram, type MetricReader } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { createLlmMetrics, startLlmCall } from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_TELLTALE_SOFT_ERROR,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_TELLTALE_RETRIES,
  METRIC_TELLTALE_SOFT_ERRORS,
} from "@telltale/core/attributes";
import { PullMetricReader } from "./otel.js";

// Core's own instruments come from the global meter provider through the public API (metrics.ts): these follow a
// provider through registration, replacement and removal. An LLM call given an instrumentation's instruments
// (createLlmMetrics of its meter) records to those instead.
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

describe("an instrumentation's own instruments", () => {
  it("take every measurement of the calls given them, and the global provider none", async () => {
    const global = register();
    const own = new PullMetricReader();
    const ownProvider = new MeterProvider({ readers: [own] });
    const instruments = createLlmMetrics(ownProvider.getMeter("my-instrumentation", "1.2.3"));
    expect(instruments.enabled).toBe(true);

    const call = startLlmCall(trace.getTracer("metrics-test"), { provider: "openai", operation: "chat", requestModel: "routed", metrics: instruments });
    call.recordAttempt({ statusCode: 429, waitMs: 0 });
    call.recordAttempt({ statusCode: 200, waitMs: 10 });
    call.softError("truncated");
    call.end();

    expect(await durationModels(own)).toEqual(["routed"]);
    expect(await durationModels(global.reader)).toEqual([]);
    const { resourceMetrics } = await own.collect();
    const scopes = resourceMetrics.scopeMetrics.map((scope) => [scope.scope.name, scope.metrics.map((m) => m.descriptor.name).sort()]);
    expect(scopes).toEqual([["my-instrumentation", [METRIC_GEN_AI_CLIENT_OPERATION_DURATION, METRIC_TELLTALE_RETRIES, METRIC_TELLTALE_SOFT_ERRORS].sort()]]);
    const softErrors = resourceMetrics.scopeMetrics[0]!.metrics.find((m) => m.descriptor.name === METRIC_TELLTALE_SOFT_ERRORS);
    expect(softErrors?.dataPoints.map((p) => p.attributes[ATTR_TELLTALE_SOFT_ERROR])).toEqual(["truncated"]);
    metrics.disable();
  });

  it("are built disabled on a no-op meter, so calls skip measuring", () => {
    expect(createLlmMetrics(metrics.getMeterProvider().getMeter("none")).enabled).toBe(false);
  });
});
