// The GenAI metrics come from the instrumentation's own meter, as in the OpenTelemetry contrib instrumentations:
// `instrumentation.setMeterProvider(provider)` routes them to that provider, not to the global one.
import { afterAll, beforeAll, describe, it } from "vitest";
import type { MockLlm } from "@telltale/mock-llm";
import { expectMetricsRoutedTo } from "@telltale/test-utils/calls";
import { routedMeter } from "@telltale/test-utils/metric-reader";
import { MAJORS, client, instrumentAll, instrumentation, mockLlm } from "./harness.js";

const routed = routedMeter();
let mock: MockLlm;

beforeAll(async () => {
  instrumentAll();
  mock = await mockLlm();
  instrumentation.setMeterProvider(routed.provider);
});

afterAll(async () => {
  await routed.provider.shutdown();
});

describe("setMeterProvider on the OpenAI instrumentation", () => {
  it.each(MAJORS)("routes the GenAI metrics of a call to that provider ($label)", async (major) => {
    mock.enqueue({ kind: "error", error: "rate_limit", retryAfterMs: 5 }, { kind: "ok" });
    await client(major, mock).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] });
    await expectMetricsRoutedTo(routed, instrumentation.instrumentationName, "openai");
  });
});
