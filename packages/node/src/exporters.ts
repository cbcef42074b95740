/**
 * Builders for where telemetry goes: the trace export path (OTLP, the console summary, the record behind
 * `keptTraces()`) and the metrics pipeline (a MeterProvider with an OTLP reader). Each returns the transports it
 * opened, so a shutdown that runs out of time can abort them.
 */
import type { Resource } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from "@opentelemetry/sdk-metrics";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import type { TelltaleConfig } from "./config.js";
import { ConsoleSummaryExporter } from "./console-summary.js";
import { WarnOnFailureMetricExporter, WarnOnFailureSpanExporter, type WarningWrite } from "./export-warnings.js";
import { createOtlpMetricExporter, createOtlpTraceExporter } from "./otlp-exporters.js";
import type { OtlpHttpTransport } from "./otlp-http-transport.js";
import { DiscardingExporter, FanOutExporter, KeptTraceRecorder, ResourceSettledExporter } from "./span-exporters.js";

/** The standard OTLP/HTTP traces URL, used when spans must leave the process (sampling `collector`/`off`) and no
 * endpoint is configured. */
const DEFAULT_OTLP_TRACES_URL = "http://localhost:4318/v1/traces";

export interface TraceExportOptions {
  traceExporter?: SpanExporter | undefined;
  consoleWrite?: ((text: string) => void) | undefined;
  warn: WarningWrite;
}

export interface TraceExport {
  /** What the main span processor exports to. */
  exporter: SpanExporter;
  /** Where spans go, in words. */
  destinations: string[];
  consoleSummary: ConsoleSummaryExporter | undefined;
  /** With in-process sampling: what was kept, for `keptTraces()`. */
  recorder: KeptTraceRecorder | undefined;
  transports: OtlpHttpTransport[];
}

function otlpTraceExporter(config: TelltaleConfig, url: string, warn: WarningWrite) {
  const { exporter, transport } = createOtlpTraceExporter({
    url,
    headers: config.tracesHeaders,
    protocol: config.tracesProtocol,
    timeoutMs: config.tracesTimeoutMs,
    compression: config.tracesCompression,
  });
  // In-process, the sampler counts and reports lost kept traces itself; otherwise nobody would say anything.
  const reported = config.sampling === "in-process" ? exporter : new WarnOnFailureSpanExporter(exporter, url, warn);
  return { exporter: new ResourceSettledExporter(reported), transport };
}

export function buildTraceExport(config: TelltaleConfig, options: TraceExportOptions): TraceExport {
  const destinations: string[] = [];
  const exporters: SpanExporter[] = [];
  const transports: OtlpHttpTransport[] = [];
  const url = config.tracesEndpoint ?? (config.sampling !== "in-process" ? DEFAULT_OTLP_TRACES_URL : undefined);
  if (options.traceExporter !== undefined) {
    exporters.push(options.traceExporter);
    destinations.push(`the given trace exporter (${options.traceExporter.constructor.name})`);
  } else if (url !== undefined) {
    const { exporter, transport } = otlpTraceExporter(config, url, options.warn);
    exporters.push(exporter);
    transports.push(transport);
    destinations.push(`OTLP ${url} (${config.tracesProtocol})`);
  }
  const consoleSummary = config.consoleSummary
    ? new ConsoleSummaryExporter({
        ...(options.consoleWrite !== undefined && { write: options.consoleWrite }),
        heading: config.sampling === "in-process" ? "kept trace" : "trace",
      })
    : undefined;
  if (consoleSummary !== undefined) {
    exporters.push(consoleSummary);
    destinations.push("console summary");
  }
  if (exporters.length === 0) destinations.push("nowhere (set OTEL_EXPORTER_OTLP_ENDPOINT or TELLTALE_CONSOLE_SUMMARY=true)");
  const combined =
    exporters.length === 0 ? new DiscardingExporter() : exporters.length === 1 ? exporters[0]! : new FanOutExporter(exporters);
  const recorder = config.sampling === "in-process" ? new KeptTraceRecorder(combined) : undefined;
  return { exporter: recorder ?? combined, destinations, consoleSummary, recorder, transports };
}

export interface Metrics {
  meterProvider: MeterProvider | undefined;
  transports: OtlpHttpTransport[];
}

export function buildMetrics(
  config: TelltaleConfig,
  resource: Resource,
  metricReaders: IMetricReader[] | undefined,
  warn: WarningWrite,
): Metrics {
  const transports: OtlpHttpTransport[] = [];
  let readers = metricReaders;
  if (readers === undefined && config.metricsEndpoint !== undefined) {
    const { exporter, transport } = createOtlpMetricExporter({
      url: config.metricsEndpoint,
      headers: config.metricsHeaders,
      protocol: config.metricsProtocol,
      timeoutMs: config.metricsTimeoutMs,
      compression: config.metricsCompression,
    });
    transports.push(transport);
    readers = [
      new PeriodicExportingMetricReader({
        exporter: new WarnOnFailureMetricExporter(exporter, config.metricsEndpoint, warn),
        exportIntervalMillis: config.metricExportIntervalMs,
        // The reader refuses a timeout longer than its interval.
        exportTimeoutMillis: Math.min(config.metricsTimeoutMs, config.metricExportIntervalMs),
      }),
    ];
  }
  const meterProvider = readers !== undefined && readers.length > 0 ? new MeterProvider({ resource, readers }) : undefined;
  return { meterProvider, transports };
}
