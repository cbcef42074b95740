// Test harness: a real SDK tracer provider with an in-memory exporter and AsyncLocalStorage context propagation,
// the `openai` and `@anthropic-ai/sdk` copies that @langchain/openai and @langchain/anthropic load, instrumented
// through the manual-module path, and the mock LLM on loopback.
import { context, trace, type AttributeValue } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";
import * as anthropicSdk from "@anthropic-ai/sdk";
import { ChatAnthropic } from "@langchain/anthropic";
import { ChatOpenAI } from "@langchain/openai";
import { AnthropicInstrumentation } from "@telltale/instrumentation-anthropic";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import * as openaiSdk from "openai";

export const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));

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

export function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

export function named(name: string, within: readonly ReadableSpan[] = spans()): ReadableSpan[] {
  return within.filter((span) => span.name === name);
}

/** The only span named `name` (fails when there are none or several). */
export function only(name: string, within: readonly ReadableSpan[] = spans()): ReadableSpan {
  const found = named(name, within);
  if (found.length !== 1) throw new Error(`expected one span named "${name}", found ${found.length} among [${within.map((s) => s.name).join(", ")}]`);
  return found[0]!;
}

export function attr(span: ReadableSpan, name: string): AttributeValue | undefined {
  return span.attributes[name];
}

export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

export function idOf(span: ReadableSpan): string {
  return span.spanContext().spanId;
}

export function traceOf(span: ReadableSpan): string {
  return span.spanContext().traceId;
}

/** The spans of one trace. */
export function traceSpans(traceId: string): ReadableSpan[] {
  return spans().filter((span) => traceOf(span) === traceId);
}
