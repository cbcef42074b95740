// Test harness: the shared test telemetry (in-memory exporters, registered globally once per test file), the
// `openai` and `@anthropic-ai/sdk` copies that @langchain/openai and @langchain/anthropic load, instrumented through
// the manual-module path, and the mock LLM on loopback.
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import * as anthropicSdk from "@anthropic-ai/sdk";
import { ChatAnthropic } from "@langchain/anthropic";
import { ChatOpenAI } from "@langchain/openai";
import { AnthropicInstrumentation } from "@telltale/instrumentation-anthropic";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { spans, traceOf } from "@telltale/test-utils/telemetry";
import * as openaiSdk from "openai";

// The tracer and meter providers for this file are registered when this import runs.
export { attr, exporter, idOf, named, onlySpan as only, parentOf, spans, traceOf, until } from "@telltale/test-utils/telemetry";

const openai = new OpenAIInstrumentation({ enabled: false });
openai.manuallyInstrument(openaiSdk);
const anthropic = new AnthropicInstrumentation({ enabled: false });
anthropic.manuallyInstrument(anthropicSdk);

let mockPromise: Promise<MockLlm> | undefined;
export function mockLlm(): Promise<MockLlm> {
  mockPromise ??= startMockLlm({ port: 0, seed: 11 });
  return mockPromise;
}

export function chatOpenAI(mock: MockLlm, maxRetries = 0): ChatOpenAI {
  return new ChatOpenAI({ model: "gpt-4o-mini", apiKey: "test", maxRetries, configuration: { baseURL: `${mock.url}/v1` } });
}

export function chatAnthropic(mock: MockLlm): ChatAnthropic {
  return new ChatAnthropic({ model: "claude-sonnet-4-5", apiKey: "test", maxRetries: 0, clientOptions: { baseURL: mock.url } });
}

/** The spans of one trace. */
export function traceSpans(traceId: string): ReadableSpan[] {
  return spans().filter((span) => traceOf(span) === traceId);
}
