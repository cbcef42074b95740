// Telemetry for the instrumentations' test files: a real SDK tracer provider with in-memory exporters, a pull
// metric reader and AsyncLocalStorage context propagation, registered globally on import. Vitest runs each test file
// in its own process, so each file gets its own providers. The packages' test harnesses re-export what they use.
import { context, metrics, trace, type AttributeValue } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, type DataPoint } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { PullMetricReader } from "./metric-reader.js";

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

export function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans();
}

/** The spans named `name` among `within` (every finished span by default). */
export function named(name: string, within: readonly ReadableSpan[] = spans()): ReadableSpan[] {
  return within.filter((span) => span.name === name);
}

/** The only span named `name` among `within` (every finished span by default); fails when there are none or several. */
export function onlySpan(name: string, within: readonly ReadableSpan[] = spans()): ReadableSpan {
  const found = named(name, within);
  if (found.length !== 1) {
    throw new Error(`expected exactly one span named "${name}", found ${found.length} among [${within.map((s) => s.name).join(", ")}]`);
  }
  return found[0]!;
}

export function attr(span: ReadableSpan, name: string): AttributeValue | undefined {
  return span.attributes[name];
}

/** The span's parent span id, or undefined for a root. */
export function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

export function idOf(span: ReadableSpan): string {
  return span.spanContext().spanId;
}

export function traceOf(span: ReadableSpan): string {
  return span.spanContext().traceId;
}

/** Resolves as soon as `predicate` holds (checked every event-loop turn), rather than sleeping a fixed time. */
export function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = (): void => {
      if (predicate()) return resolve();
      if (Date.now() - started > timeoutMs) {
        return reject(new Error(`timed out waiting for ${what}; spans: ${spans().map((s) => s.name).join(", ")}`));
      }
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
