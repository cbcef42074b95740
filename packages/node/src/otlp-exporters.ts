/**
 * The OTLP/HTTP trace and metric exporters `start()` builds: the OpenTelemetry serializers and export delegate on
 * Telltale's abortable transport, with the URL, headers, protocol, timeout and compression of the validated config
 * (TLS certificates still come from the standard `OTEL_EXPORTER_OTLP_*CERTIFICATE` / `*CLIENT_KEY` variables).
 */
import { ExporterMetrics, OTLPExporterBase, createOtlpNetworkExportDelegate } from "@opentelemetry/otlp-exporter-base";
import { convertLegacyHttpOptions } from "@opentelemetry/otlp-exporter-base/node-http";
import { OTLPMetricExporterBase } from "@opentelemetry/exporter-metrics-otlp-http";
import {
  JsonMetricsSerializer,
  JsonTraceSerializer,
  MetricsExporterMetricsHelper,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
  TraceExporterMetricsHelper,
} from "@opentelemetry/otlp-transformer";
import type { PushMetricExporter, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import type { OtlpCompression, OtlpProtocol } from "./config.js";
import { OtlpHttpTransport } from "./otlp-http-transport.js";

export interface OtlpEndpoint {
  url: string;
  headers: Record<string, string>;
  protocol: OtlpProtocol;
  timeoutMs: number;
  compression: OtlpCompression;
}

interface Built<T> {
  exporter: T;
  /** Aborts what the exporter has in flight (see {@link OtlpHttpTransport.abort}). */
  transport: OtlpHttpTransport;
}

const CONTENT_TYPES: Record<OtlpProtocol, string> = {
  "http/protobuf": "application/x-protobuf",
  "http/json": "application/json",
};

function transportAndOptions(endpoint: OtlpEndpoint, signal: "TRACES" | "METRICS") {
  const options = convertLegacyHttpOptions(
    // Compression is the transport's job (below); the options carry the URL, headers, timeout and TLS agent.
    { url: endpoint.url, headers: endpoint.headers, timeoutMillis: endpoint.timeoutMs },
    signal,
    `v1/${signal.toLowerCase()}`,
    { "Content-Type": CONTENT_TYPES[endpoint.protocol] },
  );
  const transport = new OtlpHttpTransport({
    url: endpoint.url,
    headers: options.headers,
    compression: endpoint.compression,
    agentFactory: options.agentFactory,
  });
  return { options, transport };
}

export function createOtlpTraceExporter(endpoint: OtlpEndpoint): Built<SpanExporter> {
  const { options, transport } = transportAndOptions(endpoint, "TRACES");
  const metrics = new ExporterMetrics<ReadableSpan[]>({
    componentType: "otlp_http_span_exporter",
    metricsHelper: TraceExporterMetricsHelper,
    url: endpoint.url,
    meterProvider: undefined,
    responseAttributesFromError: () => ({}),
  });
  const serializer = endpoint.protocol === "http/json" ? JsonTraceSerializer : ProtobufTraceSerializer;
  const delegate = createOtlpNetworkExportDelegate(options, serializer, metrics, transport);
  return { exporter: new OTLPExporterBase<ReadableSpan[]>(delegate), transport };
}

export function createOtlpMetricExporter(endpoint: OtlpEndpoint): Built<PushMetricExporter> {
  const { options, transport } = transportAndOptions(endpoint, "METRICS");
  const metrics = new ExporterMetrics<ResourceMetrics>({
    componentType: "otlp_http_metric_exporter",
    metricsHelper: MetricsExporterMetricsHelper,
    url: endpoint.url,
    meterProvider: undefined,
    responseAttributesFromError: () => ({}),
  });
  const serializer = endpoint.protocol === "http/json" ? JsonMetricsSerializer : ProtobufMetricsSerializer;
  const delegate = createOtlpNetworkExportDelegate(options, serializer, metrics, transport);
  return { exporter: new OTLPMetricExporterBase(delegate), transport };
}
