// Test harness: a real SDK tracer provider with an in-memory exporter and AsyncLocalStorage context propagation, the
// `openai` copy the Agents SDK loads instrumented through the manual-module path, the SDK pointed at the mock LLM
// (Responses API), and tracing on (the SDK turns it off when NODE_ENV=test).
import { context, trace, type AttributeValue } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled } from "@openai/agents";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import * as openaiSdk from "openai";

export const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
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

export function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

export function named(name: string, within: readonly ReadableSpan[] = spans()): ReadableSpan[] {
  return within.filter((span) => span.name === name);
}

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

/** Resolves once `predicate` holds: the processor's end events arrive a few microtasks after the SDK call returns. */
export function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = (): void => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}; spans: ${spans().map((s) => s.name).join(", ")}`));
      setImmediate(check);
    };
    check();
  });
}
