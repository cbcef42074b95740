// Test harness: a real SDK tracer provider with an in-memory exporter, AsyncLocalStorage context propagation and a
// pull-based metric reader, registered globally once per test file (vitest runs each file in its own process).
import { context, metrics, trace, type Attributes, type HrTime } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from "@opentelemetry/sdk-metrics";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";

export class PullMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

export interface Harness {
  exporter: InMemorySpanExporter;
  provider: TracerProvider;
  reader: MetricReader;
  spans(): ReadableSpan[];
  span(name: string): ReadableSpan;
  reset(): void;
  /** Sum of a counter's points whose attributes include `match`. */
  counterTotal(name: string, match?: Attributes): Promise<number>;
  /** Histogram points of `name`. */
  histogramPoints(name: string): Promise<DataPoint<Histogram>[]>;
}

export function setupOtel(): Harness {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(provider);
  const reader = new PullMetricReader();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

  async function points(name: string): Promise<DataPoint<unknown>[]> {
    const { resourceMetrics } = await reader.collect();
    return resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .filter((metric) => metric.descriptor.name === name)
      .flatMap((metric) => metric.dataPoints as DataPoint<unknown>[]);
  }

  return {
    exporter,
    provider,
    reader,
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}`);
      return found[0]!;
    },
    reset: () => exporter.reset(),
    async counterTotal(name, match = {}) {
      return (await points(name))
        .filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value))
        .reduce((sum, point) => sum + (point.value as number), 0);
    },
    async histogramPoints(name) {
      return (await points(name)) as DataPoint<Histogram>[];
    },
  };
}

export function hrToMs(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}

/** The span's parent span id, or undefined for a root. */
export function parentId(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

export function spanId(span: ReadableSpan): string {
  return span.spanContext().spanId;
}

export function traceId(span: ReadableSpan): string {
  return span.spanContext().traceId;
}
