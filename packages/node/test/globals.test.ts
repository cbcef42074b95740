// shutdown() releases every global start() set: a second start() in the same process registers cleanly (no
// "duplicate registration" from the OpenTelemetry API), and nothing Telltale set is left behind.
import { context, diag, DiagLogLevel, logs, metrics, propagation, trace, type DiagLogger } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { start } from "@telltale/node";
import { afterEach, describe, expect, it } from "vitest";

function collectingLogger(messages: string[]): DiagLogger {
  const collect = (message: string, ...args: unknown[]) => void messages.push([message, ...args.map(String)].join(" "));
  return { error: collect, warn: collect, info: collect, debug: collect, verbose: collect };
}

afterEach(() => {
  diag.disable();
});

describe("globals", () => {
  it("start, shutdown, start, shutdown: no duplicate registration, and the API is back to no-ops after each shutdown", async () => {
    const messages: string[] = [];
    diag.setLogger(collectingLogger(messages), DiagLogLevel.ALL);
    const reader = () =>
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 60_000,
      });

    for (let round = 0; round < 2; round++) {
      const telltale = start({ env: { TELLTALE_BUDGET_TOKENS: "100" }, handleSignals: false, metricReaders: [reader()] });
      expect(trace.getTracerProvider().getTracer("probe").startSpan("probe").isRecording()).toBe(true);
      expect(metrics.getMeterProvider()).toBeInstanceOf(MeterProvider);
      expect(process.env.ANTHROPIC_OPEN_TELEMETRY).toBe("false");
      expect(logs.getLoggerProvider().constructor.name).toMatch(/^LoggerProvider/);
      await telltale.shutdown();

      expect(trace.getTracerProvider().getTracer("probe").startSpan("probe").isRecording()).toBe(false);
      expect(metrics.getMeterProvider()).not.toBeInstanceOf(MeterProvider);
      expect(logs.getLoggerProvider().constructor.name).toBe("ProxyLoggerProvider");
      expect(propagation.fields()).toEqual([]);
      expect(context.active()).toBe(context.active());
      expect(process.env.ANTHROPIC_OPEN_TELEMETRY).toBeUndefined();
    }

    expect(messages.filter((message) => message.includes("duplicate registration"))).toEqual([]);
    // The app's own diag logger was not taken away.
    expect(messages.length).toBeGreaterThan(0);
  });
});
