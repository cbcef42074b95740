/**
 * A failing export must not be silent: without `OTEL_LOG_LEVEL` the OpenTelemetry SDK logs nowhere, so a collector
 * that answers 404 (no metrics pipeline) or an endpoint that is down would lose everything unseen. These wrappers
 * write one line to stderr the first time an export fails, and nothing after that.
 */
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { AggregationTemporality, InstrumentType, PushMetricExporter, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";

/** Where Telltale's own warnings go; default stderr (stdout belongs to the app). */
export type WarningWrite = (text: string) => void;

export const writeToStderr: WarningWrite = (text) => void process.stderr.write(text);

/** Calls `warn` with a message for the first failed result only. */
export function warnOnce(warn: WarningWrite, describe: (error: string) => string): (result: ExportResult) => void {
  let warned = false;
  return (result) => {
    if (warned || result.code === ExportResultCode.SUCCESS) return;
    warned = true;
    const error = result.error?.message ?? "unknown error";
    warn(`telltale: ${describe(error)} (said once; OTEL_LOG_LEVEL=error shows every failure)\n`);
  };
}

export class WarnOnFailureMetricExporter implements PushMetricExporter {
  private readonly onResult: (result: ExportResult) => void;

  constructor(
    private readonly next: PushMetricExporter,
    destination: string,
    warn: WarningWrite,
  ) {
    this.onResult = warnOnce(
      warn,
      (error) =>
        `GenAI metrics could not be exported to ${destination}: ${error}. ` +
        "If it is a collector, it needs a metrics pipeline from its OTLP receiver",
    );
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.next.export(metrics, (result) => {
      this.onResult(result);
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.next.selectAggregationTemporality!(instrumentType);
  }

  selectAggregation(instrumentType: InstrumentType) {
    return this.next.selectAggregation!(instrumentType);
  }
}

export class WarnOnFailureSpanExporter implements SpanExporter {
  private readonly onResult: (result: ExportResult) => void;

  constructor(
    private readonly next: SpanExporter,
    destination: string,
    warn: WarningWrite,
  ) {
    this.onResult = warnOnce(warn, (error) => `spans could not be exported to ${destination}: ${error}; they are lost`);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.next.export(spans, (result) => {
      this.onResult(result);
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
