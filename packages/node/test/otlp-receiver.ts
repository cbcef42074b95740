// A loopback OTLP/HTTP JSON receiver: what a collector would get from a child process, flattened to spans. Bodies
// are decoded as a real receiver decodes them (gzip when the request says so: see otlp-body.ts).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeBody, refuse, wireRequestOf, type WireRequest } from "./otlp-body.js";

export type OtlpValue = string | number | boolean | OtlpValue[] | undefined;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  serviceName: string | undefined;
  attributes: Record<string, OtlpValue>;
  /** The resource attributes the span was sent with. */
  resource: Record<string, OtlpValue>;
  status: { code?: number; message?: string };
  events: { name: string; attributes: Record<string, OtlpValue> }[];
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface ExportTraceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        attributes?: KeyValue[];
        status?: { code?: number; message?: string };
        events?: Array<{ name: string; attributes?: KeyValue[] }>;
      }>;
    }>;
  }>;
}

interface ExportMetricsRequest {
  resourceMetrics?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: Array<{ metrics?: Array<{ name: string }> }>;
  }>;
}

function decode(value: AnyValue): OtlpValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decode);
  return undefined;
}

function attributesOf(list: KeyValue[] | undefined): Record<string, OtlpValue> {
  return Object.fromEntries((list ?? []).map((item) => [item.key, decode(item.value)]));
}

export interface OtlpReceiver {
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Paths of every request received (traces and metrics). */
  readonly paths: string[];
  /** Every request as it came over the wire: path, content encoding and type, bytes as sent. */
  readonly requests: WireRequest[];
  /** Every request body, decoded (gunzipped when it was sent gzipped), as text. */
  readonly bodies: string[];
  /** Names of the metrics received, with the service that sent them (`service/metric`). */
  readonly metricNames: string[];
  close(): Promise<void>;
}

export interface OtlpReceiverOptions {
  /** Answer metric exports with this status instead of 200 (a collector without a metrics pipeline answers 404). */
  metricsStatus?: number;
}

function spansOf(body: ExportTraceRequest): ReceivedSpan[] {
  return (body.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId === "" ? undefined : span.parentSpanId,
        name: span.name,
        serviceName: resource["service.name"] as string | undefined,
        attributes: attributesOf(span.attributes),
        resource,
        status: span.status ?? {},
        events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributesOf(event.attributes) })),
      })),
    );
  });
}

/** `service/metric` for each metric in the request. */
function metricNamesOf(body: ExportMetricsRequest): string[] {
  return (body.resourceMetrics ?? []).flatMap((resourceMetrics) => {
    const service = attributesOf(resourceMetrics.resource?.attributes)["service.name"];
    return (resourceMetrics.scopeMetrics ?? []).flatMap((scopeMetrics) =>
      (scopeMetrics.metrics ?? []).map((metric) => `${String(service)}/${metric.name}`),
    );
  });
}

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const paths: string[] = [];
  const requests: WireRequest[] = [];
  const bodies: string[] = [];
  const metricNames: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks);
      const status = request.url === "/v1/metrics" ? (options.metricsStatus ?? 200) : 200;
      paths.push(request.url ?? "");
      const decoded = decodeBody(request, raw);
      requests.push(wireRequestOf(request, raw, decoded));
      if (!decoded.ok) {
        refuse(response, decoded.problem);
        return;
      }
      const text = decoded.body.toString("utf8");
      bodies.push(text);
      if (request.url === "/v1/traces") spans.push(...spansOf(JSON.parse(text) as ExportTraceRequest));
      if (request.url === "/v1/metrics" && status === 200) metricNames.push(...metricNamesOf(JSON.parse(text) as ExportMetricsRequest));
      response.writeHead(status, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    paths,
    requests,
    bodies,
    metricNames,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
