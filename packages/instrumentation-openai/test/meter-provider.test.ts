// The GenAI metrics come from the instrumentation's own meter, as in the OpenTelemetry contrib instrumentations:
// `instrumentation.setMeterProvider(provider)` routes them to that provider, not to the global one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MeterProvider, type DataPoint } from "@opentelemetry/sdk-metrics";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_TELLTALE_ERROR_CLASS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_TELLTALE_RETRIES,
} from "@telltale/core";
import type { MockLlm } from "@telltale/mock-llm";
import { PullMetricReader } from "@telltale/test-utils/metric-reader";
import { MAJORS, client, instrumentAll, instrumentation, metricPoints, mockLlm } from "./harness.js";

const routed = new PullMetricReader();
const routedProvider = new MeterProvider({ readers: [routed] });
let mock: MockLlm;

beforeAll(async () => {
  instrumentAll();
  mock = await mockLlm();
  instrumentation.setMeterProvider(routedProvider);
});

afterAll(async () => {
  await routedProvider.shutdown();
});

async function routedPoints(name: string): Promise<Array<{ scope: string; point: DataPoint<unknown> }>> {
  const { resourceMetrics } = await routed.collect();
  return resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => (metric.dataPoints as DataPoint<unknown>[]).map((point) => ({ scope: scope.scope.name, point }))),
  );
}

describe("setMeterProvider on the OpenAI instrumentation", () => {
  it.each(MAJORS)("routes the GenAI metrics of a call to that provider ($label)", async (major) => {
    mock.enqueue({ kind: "error", error: "rate_limit", retryAfterMs: 5 }, { kind: "ok" });
    await client(major, mock).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] });

    const durations = await routedPoints(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
    expect(durations.map((d) => d.scope)).toContain(instrumentation.instrumentationName);
    expect(durations.some((d) => d.point.attributes[ATTR_GEN_AI_OPERATION_NAME] === "chat" && d.point.attributes[ATTR_GEN_AI_PROVIDER_NAME] === "openai")).toBe(true);
    const tokens = await routedPoints(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
    expect(new Set(tokens.map((t) => t.point.attributes[ATTR_GEN_AI_TOKEN_TYPE]))).toEqual(new Set(["input", "output"]));
    const retries = await routedPoints(METRIC_TELLTALE_RETRIES);
    expect(retries.map((r) => [r.point.attributes[ATTR_GEN_AI_OPERATION_NAME], r.point.attributes[ATTR_TELLTALE_ERROR_CLASS]])).toContainEqual(["chat", "rate_limit"]);

    // Nothing of the call went to the global provider.
    expect(await metricPoints(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)).toEqual([]);
    expect(await metricPoints(METRIC_GEN_AI_CLIENT_TOKEN_USAGE)).toEqual([]);
  });
});
