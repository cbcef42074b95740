/**
 * The spans the demo's MCP server child process kept, carried back to the demo as JSON so that the cross-process
 * trace can be drawn and searched for failures like the agent's own. (With OTEL_EXPORTER_OTLP_ENDPOINT set, both
 * processes also export to the backend, where the trace is one trace anyway.)
 */
import { writeFileSync, readFileSync } from "node:fs";
import type { Attributes, HrTime, SpanKind, SpanStatus } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME } from "@telltale/core/attributes";

interface SpanJson {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  startTime: HrTime;
  endTime: HrTime;
  attributes: Attributes;
  status: SpanStatus;
  service: string | undefined;
}

function toJson(span: ReadableSpan): SpanJson {
  const json: SpanJson = {
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    name: span.name,
    kind: span.kind,
    startTime: span.startTime,
    endTime: span.endTime,
    attributes: span.attributes,
    status: span.status,
    service: span.resource.attributes[ATTR_SERVICE_NAME] as string | undefined,
  };
  const parent = span.parentSpanContext?.spanId;
  if (parent !== undefined) json.parentSpanId = parent;
  return json;
}

/** What the demo's drawing and findings read of a span: enough of a ReadableSpan, rebuilt from JSON. */
function fromJson(json: SpanJson): ReadableSpan {
  const context = { traceId: json.traceId, spanId: json.spanId, traceFlags: 1 };
  return {
    name: json.name,
    kind: json.kind,
    spanContext: () => context,
    parentSpanContext: json.parentSpanId === undefined ? undefined : { traceId: json.traceId, spanId: json.parentSpanId, traceFlags: 1, isRemote: true },
    startTime: json.startTime,
    endTime: json.endTime,
    duration: [0, 0],
    attributes: json.attributes,
    status: json.status,
    events: [],
    links: [],
    ended: true,
    resource: { attributes: { [ATTR_SERVICE_NAME]: json.service } },
    instrumentationScope: { name: "remote" },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  } as unknown as ReadableSpan;
}

export function writeSpans(file: string, traces: Map<string, ReadableSpan[]>): void {
  writeFileSync(file, JSON.stringify([...traces.values()].flat().map(toJson)));
}

/** The spans in `file`, by trace id. */
export function readSpans(file: string): Map<string, ReadableSpan[]> {
  const traces = new Map<string, ReadableSpan[]>();
  for (const json of JSON.parse(readFileSync(file, "utf8")) as SpanJson[]) {
    const span = fromJson(json);
    const list = traces.get(json.traceId);
    if (list === undefined) traces.set(json.traceId, [span]);
    else list.push(span);
  }
  return traces;
}

/** The service a span came from. */
export function serviceOf(span: ReadableSpan): string | undefined {
  const service = span.resource?.attributes[ATTR_SERVICE_NAME];
  return typeof service === "string" ? service : undefined;
}
