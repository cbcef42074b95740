// Test harness: the shared test telemetry (in-memory exporters, registered globally once per test file), the `openai`
// copy the Agents SDK loads instrumented through the manual-module path, the SDK pointed at the mock LLM (Responses
// API), and tracing on (the SDK turns it off when NODE_ENV=test).
import { setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled } from "@openai/agents";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import * as openaiSdk from "openai";

// The tracer and meter providers for this file are registered when this import runs.
export { attr, exporter, idOf, named, onlySpan as only, parentOf, spans, traceOf, until } from "@telltale/test-utils/telemetry";

new OpenAIInstrumentation({ enabled: false }).manuallyInstrument(openaiSdk);
setTracingDisabled(false);
setOpenAIAPI("responses");

let mockPromise: Promise<MockLlm> | undefined;
export function mockLlm(): Promise<MockLlm> {
  mockPromise ??= startMockLlm({ port: 0, seed: 5 }).then((mock) => {
    setDefaultOpenAIClient(new openaiSdk.OpenAI({ apiKey: "test", baseURL: `${mock.url}/v1`, maxRetries: 2 }));
    return mock;
  });
  return mockPromise;
}
