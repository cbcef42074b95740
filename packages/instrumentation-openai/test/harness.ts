// Test harness: a real SDK tracer provider with in-memory exporters and AsyncLocalStorage context propagation,
// registered globally once per test file (vitest runs each file in its own process), the three `openai` majors
// instrumented through the manual-module path, and the mock LLM on loopback.
import { context, metrics, trace, type AttributeValue } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader, type DataPoint } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { OpenAIInstrumentation, type OpenAIInstrumentationConfig } from "@telltale/instrumentation-openai";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import * as openai7 from "openai";
import * as openai5 from "openai-v5";
import * as openai6 from "openai-v6";

/** The API key every test client uses: no attribute may ever contain it. */
export const API_KEY = "sk-telltale-test-SECRET-0123456789";

class PullMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export const exporter = new InMemorySpanExporter();
/** Every span of the file, never reset: for the "no secrets anywhere" assertions. */
export const allSpansExporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  spanProcessors: [new SimpleSpanProcessor({ exporter }), new SimpleSpanProcessor({ exporter: allSpansExporter })],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
export const metricReader = new PullMetricReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [metricReader] }));

/** One instrumentation for the file; `enabled: false` keeps the require/import hooks out of the test process. */
export const instrumentation = new OpenAIInstrumentation({ enabled: false });

export interface Major {
  label: string;
  /** The module namespace, as `import * as m from "openai"` gives it. */
  module: typeof openai7;
}

// openai 5 and 6 have the same public surface for everything these tests touch; typing them as 7's namespace keeps
// the tests free of per-major casts.
export const MAJORS: Major[] = [
  { label: "openai 5", module: openai5 as unknown as typeof openai7 },
  { label: "openai 6", module: openai6 as unknown as typeof openai7 },
  { label: "openai 7", module: openai7 },
];

export function instrumentAll(config: OpenAIInstrumentationConfig = {}): void {
  instrumentation.setConfig({ enabled: false, ...config });
  for (const major of MAJORS) instrumentation.manuallyInstrument(major.module);
}

let mockPromise: Promise<MockLlm> | undefined;
export function mockLlm(): Promise<MockLlm> {
  mockPromise ??= startMockLlm({ port: 0, seed: 7 });
  return mockPromise;
}

export function client(major: Major, mock: MockLlm, options: { maxRetries?: number; timeout?: number; baseURL?: string } = {}): InstanceType<typeof openai7.OpenAI> {
  return new major.module.OpenAI({
    apiKey: API_KEY,
    baseURL: options.baseURL ?? `${mock.url}/v1`,
    maxRetries: options.maxRetries ?? 2,
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
  });
}

export function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

/** The only finished span named `name` (fails when there are none or several). */
export function onlySpan(name: string): ReadableSpan {
  const found = spans().filter((s) => s.name === name);
  if (found.length !== 1) {
    throw new Error(`expected exactly one span named "${name}", found ${found.length} among [${spans().map((s) => s.name).join(", ")}]`);
  }
  return found[0]!;
}

export function attr(span: ReadableSpan, name: string): AttributeValue | undefined {
  return span.attributes[name];
}

/** Resolves as soon as `predicate` holds (checked every event-loop turn), rather than sleeping a fixed time. */
export function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = (): void => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setImmediate(check);
    };
    check();
  });
}

/** The data points of the metric `name`. */
export async function metricPoints(name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = await metricReader.collect();
  return resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
}

/** Every attribute and event attribute value of `span`, stringified, for secret scans. */
export function everyValue(span: ReadableSpan): string[] {
  const values = Object.values(span.attributes).map((v) => JSON.stringify(v));
  for (const event of span.events) values.push(...Object.values(event.attributes ?? {}).map((v) => JSON.stringify(v)));
  values.push(span.name, span.status.message ?? "");
  return values;
}
