// A metric reader that only answers `collect()`: tests pull the points they assert on, nothing is exported on a timer.
import { MetricReader } from "@opentelemetry/sdk-metrics";

export class PullMetricReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}
