/**
 * Agent-shaped traces for the load test, encoded once as OTLP protobuf templates and stamped per trace with a fresh
 * trace id and current timestamps (byte patches at recorded offsets), so the generator's cost per trace is a buffer
 * copy: the collector, not the generator, is what the load test measures.
 *
 * A trace is an `invoke_agent` root, steps, and under each step LLM calls (`chat`) and tool calls (`execute_tool`),
 * 10 to 50 spans. A failing trace has one failing tool call (status ERROR, `telltale.error.class`), or a soft error,
 * or a retried LLM call: the tail-sampling policy keeps every one of them.
 */
import { randomFillSync } from "node:crypto";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SOFT_ERROR,
} from "@telltale/core/attributes";

// --- a minimal protobuf writer for the OTLP trace messages ---------------------------------------------------------

const varint = (value: number): number[] => {
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
};
const tag = (field: number, wireType: number): number[] => varint((field << 3) | wireType);
const lengthDelimited = (field: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([...tag(field, 2), ...varint(body.length)]), body]);
const stringField = (field: number, text: string): Buffer => lengthDelimited(field, Buffer.from(text, "utf8"));
const varintField = (field: number, value: number): Buffer => Buffer.from([...tag(field, 0), ...varint(value)]);

type AttributeValue = string | number | boolean;

function keyValue(key: string, value: AttributeValue): Buffer {
  let anyValue: Buffer;
  if (typeof value === "string") anyValue = stringField(1, value);
  else if (typeof value === "boolean") anyValue = varintField(2, value ? 1 : 0);
  else anyValue = varintField(3, value);
  return lengthDelimited(9, Buffer.concat([stringField(1, key), lengthDelimited(2, anyValue)]));
}

// --- the trace shapes ------------------------------------------------------------------------------------------------

export type TraceClass = "healthy" | "tool_error" | "soft_error" | "retried";

interface SpanShape {
  name: string;
  parent: number; // index of the parent span, -1 for the root
  startMs: number;
  durationMs: number;
  attributes: Record<string, AttributeValue>;
  error?: boolean;
}

const MODEL = "gpt-4o-mini";
const TOOLS = ["search", "fetch_page", "lookup_account", "run_sql"];

/** A root, `steps` steps, and per step one LLM call then `toolsPerStep` tool calls each followed by an LLM call. */
function agentShape(steps: number, toolsPerStep: number, failure: TraceClass): SpanShape[] {
  const spans: SpanShape[] = [];
  let clock = 0;
  spans.push({ name: "invoke_agent research", parent: -1, startMs: 0, durationMs: 0, attributes: { [ATTR_GEN_AI_OPERATION_NAME]: "invoke_agent" } });
  const llm = (parent: number, extra: Record<string, AttributeValue> = {}): void => {
    const durationMs = 200 + ((spans.length * 37) % 600);
    spans.push({
      name: `chat ${MODEL}`,
      parent,
      startMs: clock,
      durationMs,
      attributes: {
        [ATTR_GEN_AI_OPERATION_NAME]: "chat",
        [ATTR_GEN_AI_PROVIDER_NAME]: "openai",
        [ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 1200 + spans.length * 10,
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 150,
        ...extra,
      },
    });
    clock += durationMs;
  };
  const tool = (parent: number, name: string, failing: boolean): void => {
    const durationMs = 50 + ((spans.length * 53) % 400);
    spans.push({
      name: `execute_tool ${name}`,
      parent,
      startMs: clock,
      durationMs,
      attributes: {
        [ATTR_GEN_AI_OPERATION_NAME]: "execute_tool",
        [ATTR_GEN_AI_TOOL_NAME]: name,
        ...(failing ? { [ATTR_TELLTALE_ERROR_CLASS]: "server_error" } : {}),
      },
      error: failing,
    });
    clock += durationMs;
  };
  for (let step = 0; step < steps; step++) {
    const stepIndex = spans.length;
    const stepStart = clock;
    spans.push({ name: `step ${step + 1}`, parent: 0, startMs: clock, durationMs: 0, attributes: {} });
    const lastStep = step === steps - 1;
    llm(stepIndex, lastStep && failure === "retried" ? { [ATTR_TELLTALE_RETRY_COUNT]: 1 } : {});
    for (let call = 0; call < toolsPerStep; call++) {
      tool(stepIndex, TOOLS[(step + call) % TOOLS.length]!, lastStep && call === 0 && failure === "tool_error");
      llm(stepIndex, lastStep && call === toolsPerStep - 1 && failure === "soft_error" ? { [ATTR_TELLTALE_SOFT_ERROR]: "empty_tool_result" } : {});
    }
    spans[stepIndex]!.durationMs = clock - stepStart;
  }
  spans[0]!.durationMs = clock;
  return spans;
}

/** Span counts 13, 19, 25, 33 and 49 (mean 27.8): steps x (1 + 2 x tools) LLM and tool calls, the steps, the root. */
const SHAPES: readonly [steps: number, toolsPerStep: number][] = [
  [3, 1],
  [3, 2],
  [4, 2],
  [4, 3],
  [6, 3],
];

// --- templates and stamping ------------------------------------------------------------------------------------------

interface Template {
  traceClass: TraceClass;
  spanCount: number;
  /** The spans as the repeated `spans` field (2) of a ScopeSpans message, ids and times to be patched. */
  bytes: Buffer;
  /** The root span is the first `rootLength` bytes. */
  rootLength: number;
  traceIdOffsets: number[];
  /** [offset, milliseconds after the trace's start] of every start and end time. */
  timeOffsets: [number, number][];
}

const TRACE_ID_PLACEHOLDER = Buffer.alloc(16, 0xab);

function spanId(traceIndex: number, spanIndex: number): Buffer {
  const id = Buffer.alloc(8);
  id.writeUInt32BE(traceIndex + 1, 0);
  id.writeUInt32BE(spanIndex + 1, 4);
  return id;
}

function buildTemplate(traceClass: TraceClass, shapeIndex: number): Template {
  const [steps, toolsPerStep] = SHAPES[shapeIndex]!;
  const shape = agentShape(steps, toolsPerStep, traceClass);
  const pieces: Buffer[] = [];
  const traceIdOffsets: number[] = [];
  const timeOffsets: [number, number][] = [];
  let position = 0;
  let rootLength = 0;
  shape.forEach((span, index) => {
    // Span fields in order; the fixed-size ones first so their offsets inside the message are known.
    const head: Buffer[] = [];
    let inner = 0;
    const push = (piece: Buffer): number => {
      const at = inner;
      head.push(piece);
      inner += piece.length;
      return at;
    };
    const traceIdAt = push(lengthDelimited(1, TRACE_ID_PLACEHOLDER)) + 2;
    push(lengthDelimited(2, spanId(shapeIndex, index)));
    if (span.parent >= 0) push(lengthDelimited(4, spanId(shapeIndex, span.parent)));
    push(stringField(5, span.name));
    push(varintField(6, span.parent < 0 ? 2 : span.name.startsWith("chat") ? 3 : 1));
    const startAt = push(Buffer.concat([Buffer.from(tag(7, 1)), Buffer.alloc(8)])) + 1;
    const endAt = push(Buffer.concat([Buffer.from(tag(8, 1)), Buffer.alloc(8)])) + 1;
    for (const [key, value] of Object.entries(span.attributes)) push(keyValue(key, value));
    if (span.error) push(lengthDelimited(15, Buffer.concat([stringField(2, "tool backend unavailable"), varintField(3, 2)])));
    const body = Buffer.concat(head);
    const prefix = Buffer.from([...tag(2, 2), ...varint(body.length)]);
    const base = position + prefix.length;
    traceIdOffsets.push(base + traceIdAt);
    timeOffsets.push([base + startAt, span.startMs], [base + endAt, span.startMs + span.durationMs]);
    pieces.push(prefix, body);
    position += prefix.length + body.length;
    if (index === 0) rootLength = position;
  });
  return { traceClass, spanCount: shape.length, bytes: Buffer.concat(pieces), rootLength, traceIdOffsets, timeOffsets };
}

export interface StampedTrace {
  traceId: string;
  traceClass: TraceClass;
  spanCount: number;
  /** The root span, encoded (a `spans` field of ScopeSpans). */
  root: Buffer;
  /** Every other span of the trace, encoded. */
  children: Buffer;
}

/**
 * The mix of traces: one in `round(1 / failingShare)` failing (tool errors, soft errors and retried calls in equal
 * parts), the rest healthy; every shape occurs in every class.
 */
export class AgentTraceFactory {
  private readonly templates: Template[];
  private next = 0;

  constructor(readonly failingShare = 0.15) {
    const classes: TraceClass[] = ["tool_error", "soft_error", "retried"];
    const failingEvery = Math.round(1 / failingShare);
    const templates: Template[] = [];
    // One cycle of templates with the failing ones spread evenly through it.
    for (let index = 0; index < failingEvery * SHAPES.length * classes.length; index++) {
      const failing = index % failingEvery === 0;
      const traceClass = failing ? classes[Math.floor(index / failingEvery) % classes.length]! : "healthy";
      templates.push(buildTemplate(traceClass, index % SHAPES.length));
    }
    this.templates = templates;
  }

  get meanSpansPerTrace(): number {
    return this.templates.reduce((sum, template) => sum + template.spanCount, 0) / this.templates.length;
  }

  /** The next trace of the mix, with a random trace id, ending `endsAgoMs` before now. */
  stamp(endsAgoMs = 0): StampedTrace {
    const template = this.templates[this.next++ % this.templates.length]!;
    const bytes = Buffer.from(template.bytes);
    const traceId = randomFillSync(Buffer.alloc(16));
    for (const offset of template.traceIdOffsets) traceId.copy(bytes, offset);
    const rootDurationMs = template.timeOffsets[1]![1];
    const startNs = BigInt(Date.now() - endsAgoMs - rootDurationMs) * 1_000_000n;
    for (const [offset, afterMs] of template.timeOffsets) bytes.writeBigUInt64LE(startNs + BigInt(afterMs) * 1_000_000n, offset);
    return {
      traceId: traceId.toString("hex"),
      traceClass: template.traceClass,
      spanCount: template.spanCount,
      root: bytes.subarray(0, template.rootLength),
      children: bytes.subarray(template.rootLength),
    };
  }
}

/** An ExportTraceServiceRequest holding the given encoded spans under one resource (one app process's batch). */
export function exportRequest(serviceName: string, spans: readonly Buffer[]): Buffer {
  const resource = lengthDelimited(1, keyValueResource("service.name", serviceName));
  const scope = lengthDelimited(1, stringField(1, "telltale-load"));
  const scopeSpans = lengthDelimited(2, Buffer.concat([scope, ...spans]));
  return lengthDelimited(1, Buffer.concat([resource, scopeSpans]));
}

function keyValueResource(key: string, value: string): Buffer {
  // Resource.attributes is field 1 (a Span's attributes are field 9).
  return lengthDelimited(1, Buffer.concat([stringField(1, key), lengthDelimited(2, stringField(1, value))]));
}
