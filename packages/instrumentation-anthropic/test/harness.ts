// Shared test setup: one tracer and meter provider for the file, both @anthropic-ai/sdk majors (0.x and 1.x)
// instrumented through the manual-module path, and the mock LLM on loopback.
import { context, metrics, trace, type AttributeValue } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader, type DataPoint } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { AnthropicInstrumentation, type AnthropicInstrumentationConfig } from "@telltale/instrumentation-anthropic";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import * as anthropic1 from "@anthropic-ai/sdk";
import * as anthropic0 from "anthropic-v0";

/** The API key every test client uses: no attribute may ever contain it. */
export const API_KEY = "sk-ant-telltale-test-SECRET-0123456789";

class PullMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
export const metricReader = new PullMetricReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [metricReader] }));

/** One instrumentation for the file; `enabled: false` keeps the require/import hooks out of the test process. */
export const instrumentation = new AnthropicInstrumentation({ enabled: false });

export interface Major {
  label: string;
  /** The module namespace, as `import * as m from "@anthropic-ai/sdk"` gives it. */
  module: typeof anthropic1;
}

// 0.137 and 1.x have the same public surface for everything these tests touch; typing 0.x as 1.x's namespace keeps
// the tests free of per-major casts.
export const MAJORS: Major[] = [
  { label: "@anthropic-ai/sdk 0.x", module: anthropic0 as unknown as typeof anthropic1 },
  { label: "@anthropic-ai/sdk 1.x", module: anthropic1 },
];

export function instrumentAll(config: AnthropicInstrumentationConfig = {}): void {
  instrumentation.setConfig({ enabled: false, ...config });
  for (const major of MAJORS) instrumentation.manuallyInstrument(major.module);
}

let mockPromise: Promise<MockLlm> | undefined;
export function mockLlm(): Promise<MockLlm> {
  mockPromise ??= startMockLlm({ port: 0, seed: 11 });
  return mockPromise;
}

export interface ClientOptions {
  maxRetries?: number;
  timeout?: number;
  /** Keep the SDK's own OpenTelemetry spans (off by default here, so only Telltale's spans are exported). */
  sdkSpans?: boolean;
  /** Defaults to the mock's URL. */
  baseURL?: string;
}

export function client(major: Major, mock: MockLlm, options: ClientOptions = {}): InstanceType<typeof anthropic1.Anthropic> {
  return new major.module.Anthropic({
    apiKey: API_KEY,
    baseURL: options.baseURL ?? mock.url,
    maxRetries: options.maxRetries ?? 2,
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.sdkSpans === true ? {} : { openTelemetry: false }),
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
