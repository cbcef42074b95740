import { ATTR_SERVICE_NAME } from "@telltale/core/attributes";
/**
 * The conformance corpus: traces as plain data with the decision the keep policy must reach for each. The
 * in-process engine is tested against it here; the deploy end-to-end test POSTs the same traces to a collector
 * running the rendered config. Both engines are held to the same keep/drop per trace id.
 *
 * `@telltale/sampler/conformance`
 */
import { SpanKind, SpanStatusCode, type Attributes, type AttributeValue, type HrTime } from "@opentelemetry/api";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import type { KeepReason } from "@telltale/core/attributes";
import corpusData from "../conformance/corpus.json" with { type: "json" };
import { parsePolicy, type SamplingPolicy } from "./policy.js";

// The engine the corpus judges, for tests that hold another engine (a collector) to the same decisions.
export { createBaselineSampler, type BaselineSampler } from "./baseline.js";
export { compilePolicy, decideTrace, type CompiledPolicy, type SpanFacts, type TraceDecision, type TraceExtent } from "./evaluators.js";

export type CorpusAttributeValue = string | number | boolean | string[] | number[] | boolean[];

export interface CorpusSpan {
  spanId: string;
  /** Absent for the trace's root. */
  parentSpanId?: string;
  name: string;
  kind?: "internal" | "server" | "client" | "producer" | "consumer";
  /** `service.name` of the resource that emitted the span. */
  service: string;
  /** Milliseconds from the trace's base time. */
  startMs: number;
  endMs: number;
  status?: "unset" | "ok" | "error";
  statusMessage?: string;
  attributes?: Record<string, CorpusAttributeValue>;
}

export interface CorpusTrace {
  /** Short unique name, e.g. `failed-llm-call`. */
  name: string;
  description: string;
  /** 32 lowercase hex digits; fixed so the probabilistic baseline decides the same way every run. */
  traceId: string;
  expected: {
    decision: "keep" | "drop";
    /** The in-process engine's `telltale.sampling.reasons` for a kept trace (empty when dropped). */
    reasons: KeepReason[];
  };
  spans: CorpusSpan[];
}

export interface ConformanceCorpus {
  version: 1;
  description: string;
  /** The policy input the expected decisions are made under (render it for the collector with the same input). */
  policy: unknown;
  traces: CorpusTrace[];
}

const HEX_TRACE_ID = /^[0-9a-f]{32}$/;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/;

/** Validates corpus data (throws naming the trace and field at fault). */
export function parseCorpus(data: unknown): ConformanceCorpus {
  const corpus = data as ConformanceCorpus;
  if (typeof corpus !== "object" || corpus === null || corpus.version !== 1 || !Array.isArray(corpus.traces)) {
    throw new Error("telltale corpus: expected { version: 1, policy, traces: [...] }");
  }
  parsePolicy(corpus.policy);
  const seen = new Set<string>();
  for (const trace of corpus.traces) {
    const where = `telltale corpus: trace "${trace.name}"`;
    if (!HEX_TRACE_ID.test(trace.traceId)) throw new Error(`${where}: traceId must be 32 lowercase hex digits`);
    if (seen.has(trace.traceId)) throw new Error(`${where}: duplicate traceId ${trace.traceId}`);
    seen.add(trace.traceId);
    if (trace.expected.decision !== "keep" && trace.expected.decision !== "drop") {
      throw new Error(`${where}: expected.decision must be "keep" or "drop"`);
    }
    const spanIds = new Set(trace.spans.map((span) => span.spanId));
    for (const span of trace.spans) {
      if (!HEX_SPAN_ID.test(span.spanId)) throw new Error(`${where}: spanId ${span.spanId} must be 16 lowercase hex digits`);
      if (span.parentSpanId !== undefined && !spanIds.has(span.parentSpanId)) {
        throw new Error(`${where}: span ${span.spanId} has unknown parent ${span.parentSpanId}`);
      }
      if (span.endMs < span.startMs) throw new Error(`${where}: span ${span.spanId} ends before it starts`);
    }
  }
  return corpus;
}

let cached: ConformanceCorpus | undefined;

/** The corpus shipped with this package (`conformance/corpus.json`). */
export function loadCorpus(): ConformanceCorpus {
  cached ??= parseCorpus(structuredClone(corpusData));
  return structuredClone(cached);
}

/** The corpus's policy, parsed. */
export function corpusPolicy(corpus: ConformanceCorpus = loadCorpus()): SamplingPolicy {
  return parsePolicy(corpus.policy);
}

/** The expected decision for each trace id. */
export function expectedDecisions(corpus: ConformanceCorpus = loadCorpus()): Map<string, CorpusTrace["expected"]> {
  return new Map(corpus.traces.map((trace) => [trace.traceId, trace.expected]));
}

export interface ConvertOptions {
  /** Wall-clock time (ms since the epoch) that span offsets count from. Default: now. */
  baseTimeMs?: number;
}

function hrTimeAt(baseTimeMs: number, offsetMs: number): HrTime {
  const totalMs = baseTimeMs + offsetMs;
  const seconds = Math.floor(totalMs / 1000);
  const nanos = Math.round((totalMs - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

function hrDuration(start: HrTime, end: HrTime): HrTime {
  let seconds = end[0] - start[0];
  let nanos = end[1] - start[1];
  if (nanos < 0) {
    seconds -= 1;
    nanos += 1e9;
  }
  return [seconds, nanos];
}

const SPAN_KINDS: Record<NonNullable<CorpusSpan["kind"]>, SpanKind> = {
  internal: SpanKind.INTERNAL,
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
};

const STATUS_CODES: Record<NonNullable<CorpusSpan["status"]>, SpanStatusCode> = {
  unset: SpanStatusCode.UNSET,
  ok: SpanStatusCode.OK,
  error: SpanStatusCode.ERROR,
};

/** The trace's spans as SDK ReadableSpans (for the in-process engine), in corpus order. */
export function toReadableSpans(trace: CorpusTrace, options: ConvertOptions = {}): ReadableSpan[] {
  const baseTimeMs = options.baseTimeMs ?? Date.now();
  return trace.spans.map((span) => {
    const startTime = hrTimeAt(baseTimeMs, span.startMs);
    const endTime = hrTimeAt(baseTimeMs, span.endMs);
    const spanContext = { traceId: trace.traceId, spanId: span.spanId, traceFlags: 1 };
    return {
      name: span.name,
      kind: SPAN_KINDS[span.kind ?? "internal"],
      spanContext: () => spanContext,
      parentSpanContext:
        span.parentSpanId === undefined
          ? undefined
          : { traceId: trace.traceId, spanId: span.parentSpanId, traceFlags: 1, isRemote: false },
      startTime,
      endTime,
      status: {
        code: STATUS_CODES[span.status ?? "unset"],
        ...(span.statusMessage === undefined ? {} : { message: span.statusMessage }),
      },
      attributes: { ...(span.attributes as Attributes | undefined) },
      links: [],
      events: [],
      duration: hrDuration(startTime, endTime),
      ended: true,
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: span.service }),
      instrumentationScope: { name: "@telltale/sampler/conformance" },
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    } satisfies ReadableSpan;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// OTLP/JSON (the body of a POST to a collector's /v1/traces)
// ---------------------------------------------------------------------------------------------------------------

export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } };

export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  status: { code: number; message?: string };
}

/** `ExportTraceServiceRequest` in OTLP/JSON encoding (hex ids, int64 as strings, enums as numbers). */
export interface OtlpExportTraceServiceRequest {
  resourceSpans: {
    resource: { attributes: OtlpKeyValue[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}

function otlpValue(value: AttributeValue | CorpusAttributeValue): OtlpAnyValue {
  if (Array.isArray(value)) {
    return { arrayValue: { values: (value as unknown[]).map((item) => otlpValue(item as CorpusAttributeValue)) } };
  }
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  // Integers go out as intValue, as the OTel JS OTLP exporter sends them: the collector's numeric_attribute
  // policy only reads integer values.
  if (typeof value === "number" && Number.isInteger(value)) return { intValue: String(value) };
  return { doubleValue: Number(value) };
}

function unixNanos(baseTimeMs: number, offsetMs: number): string {
  return (BigInt(Math.round(baseTimeMs)) * 1_000_000n + BigInt(Math.round(offsetMs * 1e6))).toString();
}

// OTLP's Span.SpanKind numbering (UNSPECIFIED = 0), which differs from the OTel JS API enum.
const OTLP_SPAN_KINDS: Record<NonNullable<CorpusSpan["kind"]>, number> = {
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};
const OTLP_STATUS_CODES: Record<NonNullable<CorpusSpan["status"]>, number> = { unset: 0, ok: 1, error: 2 };

/** One trace as an OTLP/JSON `ExportTraceServiceRequest`, one resource per service. */
export function toOtlpJson(trace: CorpusTrace, options: ConvertOptions = {}): OtlpExportTraceServiceRequest {
  return tracesToOtlpJson([trace], options);
}

/** Several traces in one OTLP/JSON request, one resource per service (in order of first appearance). */
export function tracesToOtlpJson(traces: readonly CorpusTrace[], options: ConvertOptions = {}): OtlpExportTraceServiceRequest {
  const baseTimeMs = options.baseTimeMs ?? Date.now();
  const byService = new Map<string, OtlpSpan[]>();
  for (const trace of traces) {
    for (const span of trace.spans) {
      let spans = byService.get(span.service);
      if (spans === undefined) {
        spans = [];
        byService.set(span.service, spans);
      }
      spans.push({
        traceId: trace.traceId,
        spanId: span.spanId,
        ...(span.parentSpanId === undefined ? {} : { parentSpanId: span.parentSpanId }),
        name: span.name,
        kind: OTLP_SPAN_KINDS[span.kind ?? "internal"],
        startTimeUnixNano: unixNanos(baseTimeMs, span.startMs),
        endTimeUnixNano: unixNanos(baseTimeMs, span.endMs),
        attributes: Object.entries(span.attributes ?? {}).map(([key, value]) => ({ key, value: otlpValue(value) })),
        status: {
          code: OTLP_STATUS_CODES[span.status ?? "unset"],
          ...(span.statusMessage === undefined ? {} : { message: span.statusMessage }),
        },
      });
    }
  }
  return {
    resourceSpans: [...byService].map(([service, spans]) => ({
      resource: { attributes: [{ key: ATTR_SERVICE_NAME, value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: "@telltale/sampler/conformance" }, spans }],
    })),
  };
}
