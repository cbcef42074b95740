// Metric readers for tests: pull the points a test asserts on, nothing is exported on a timer.
import { MeterProvider, MetricReader, type DataPoint } from "@opentelemetry/sdk-metrics";

/** A metric reader that only answers `collect()`. */
export class PullMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** A meter provider of its own (not the global one), for `instrumentation.setMeterProvider(...)`. */
export interface RoutedMeter {
  readonly provider: MeterProvider;
  /** The data points of the metric `name`, each with the name of the meter (scope) that wrote it. */
  points(name: string): Promise<Array<{ scope: string; point: DataPoint<unknown> }>>;
}

export function routedMeter(): RoutedMeter {
  const reader = new PullMetricReader();
  return {
    provider: new MeterProvider({ readers: [reader] }),
    async points(name) {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics
          .filter((metric) => metric.descriptor.name === name)
          .flatMap((metric) => (metric.dataPoints as DataPoint<unknown>[]).map((point) => ({ scope: scope.scope.name, point }))),
      );
    },
  };
}
