// A loopback OTLP/HTTP protobuf receiver: reads each ExportTraceServiceRequest's span ids, trace ids and
// string(-array) attributes, and each ExportMetricsServiceRequest's metric names, straight from the protobuf wire
// format (gunzipped first when the request says gzip, as a real receiver does: see otlp-body.ts). It can answer
// slowly (a backend under load) or with scripted statuses first (a backend that is briefly unavailable). Field
// numbers are those of opentelemetry/proto/collector/{trace,metrics}/v1, trace/v1 and metrics/v1.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeBody, refuse, wireRequestOf, type WireRequest } from "./otlp-body.js";

export interface ProtoSpan {
  traceId: string;
  spanId: string;
  name: string;
  /** String and string-array attributes (what the tests read). */
  attributes: Record<string, string | string[]>;
}

export interface ProtoReceiver {
  readonly url: string;
  readonly spans: ProtoSpan[];
  /** Names of the metrics received, in the order they came. */
  readonly metricNames: string[];
  /** Every request received so far, as it came over the wire (path, content encoding and type, bytes as sent). */
  readonly requests: WireRequest[];
  close(): Promise<void>;
}

export interface ProtoReceiverOptions {
  /** Wait this long before answering each request. */
  delayMs?: number;
  /** Answer the first requests with these statuses (with `Retry-After: 0`), in order; then 200. */
  statuses?: number[];
}

interface Field {
  number: number;
  /** Varint or fixed value (not used for length-delimited fields). */
  value: number;
  bytes: Buffer | undefined;
}

function* fields(buffer: Buffer): Generator<Field> {
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = buffer[offset++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (offset < buffer.length) {
    const key = varint();
    const number = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        yield { number, value: varint(), bytes: undefined };
        break;
      case 1:
        offset += 8;
        yield { number, value: 0, bytes: undefined };
        break;
      case 2: {
        const length = varint();
        yield { number, value: 0, bytes: buffer.subarray(offset, offset + length) };
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        yield { number, value: 0, bytes: undefined };
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${key & 7}`);
    }
  }
}

function children(buffer: Buffer, number: number): Buffer[] {
  return [...fields(buffer)].filter((field) => field.number === number && field.bytes).map((field) => field.bytes as Buffer);
}

/** AnyValue: 1 string_value, 5 array_value (ArrayValue: 1 values). */
function decodeValue(buffer: Buffer): string | string[] | undefined {
  for (const field of fields(buffer)) {
    if (field.number === 1 && field.bytes) return field.bytes.toString("utf8");
    if (field.number === 5 && field.bytes) {
      return children(field.bytes, 1).map((item) => decodeValue(item)).filter((item): item is string => typeof item === "string");
    }
  }
  return undefined;
}

/** Span: 1 trace_id, 2 span_id, 5 name, 9 attributes (KeyValue: 1 key, 2 value). */
function decodeSpan(buffer: Buffer): ProtoSpan {
  const span: ProtoSpan = { traceId: "", spanId: "", name: "", attributes: {} };
  for (const field of fields(buffer)) {
    if (!field.bytes) continue;
    if (field.number === 1) span.traceId = field.bytes.toString("hex");
    else if (field.number === 2) span.spanId = field.bytes.toString("hex");
    else if (field.number === 5) span.name = field.bytes.toString("utf8");
    else if (field.number === 9) {
      const key = children(field.bytes, 1)[0]?.toString("utf8");
      const value = children(field.bytes, 2)[0];
      const decoded = value ? decodeValue(value) : undefined;
      if (key !== undefined && decoded !== undefined) span.attributes[key] = decoded;
    }
  }
  return span;
}

/** ExportTraceServiceRequest: 1 resource_spans; ResourceSpans: 2 scope_spans; ScopeSpans: 2 spans. */
export function decodeTraceRequest(body: Buffer): ProtoSpan[] {
  return children(body, 1).flatMap((resourceSpans) =>
    children(resourceSpans, 2).flatMap((scopeSpans) => children(scopeSpans, 2).map(decodeSpan)),
  );
}

/** ExportMetricsServiceRequest: 1 resource_metrics; ResourceMetrics: 2 scope_metrics; ScopeMetrics: 2 metrics;
 * Metric: 1 name. */
export function decodeMetricNames(body: Buffer): string[] {
  return children(body, 1).flatMap((resourceMetrics) =>
    children(resourceMetrics, 2).flatMap((scopeMetrics) =>
      children(scopeMetrics, 2).map((metric) => children(metric, 1)[0]?.toString("utf8") ?? ""),
    ),
  );
}

export async function startProtoReceiver(options: ProtoReceiverOptions = {}): Promise<ProtoReceiver> {
  const spans: ProtoSpan[] = [];
  const metricNames: string[] = [];
  const requests: WireRequest[] = [];
  const statuses = [...(options.statuses ?? [])];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const answer = () => {
        const raw = Buffer.concat(chunks);
        const decoded = decodeBody(request, raw);
        requests.push(wireRequestOf(request, raw, decoded));
        if (!decoded.ok) {
          refuse(response, decoded.problem);
          return;
        }
        const status = statuses.shift() ?? 200;
        if (status !== 200) {
          response.writeHead(status, { "retry-after": "0" });
          response.end();
          return;
        }
        if (request.url === "/v1/traces") spans.push(...decodeTraceRequest(decoded.body));
        if (request.url === "/v1/metrics") metricNames.push(...decodeMetricNames(decoded.body));
        response.writeHead(200, { "content-type": "application/x-protobuf" });
        response.end();
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metricNames,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
