import { ATTR_SERVICE_NAME } from "@telltale/core/attributes";
import { SpanKind, SpanStatusCode, type Attributes } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";

export interface SpanSpec {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  /** Parent lives in another process (the span is a local root). */
  remoteParent?: boolean;
  name?: string;
  startMs?: number;
  endMs?: number;
  error?: boolean;
  attributes?: Attributes;
}

const BASE_SECONDS = 1_700_000_000;

/** A finished span as the SDK hands it to processors. Times are ms offsets from a fixed base. */
export function makeSpan(spec: SpanSpec): ReadableSpan {
  const startMs = spec.startMs ?? 0;
  const endMs = spec.endMs ?? startMs + 10;
  const hr = (ms: number): [number, number] => [BASE_SECONDS + Math.floor(ms / 1000), (ms % 1000) * 1e6];
  const context = { traceId: spec.traceId, spanId: spec.spanId, traceFlags: 1 };
  return {
    name: spec.name ?? `span ${spec.spanId}`,
    kind: SpanKind.INTERNAL,
    spanContext: () => context,
    parentSpanContext:
      spec.parentSpanId === undefined
        ? undefined
        : { traceId: spec.traceId, spanId: spec.parentSpanId, traceFlags: 1, isRemote: spec.remoteParent ?? false },
    startTime: hr(startMs),
    endTime: hr(endMs),
    status: { code: spec.error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
    attributes: { ...spec.attributes },
    links: [],
    events: [],
    duration: [0, (endMs - startMs) * 1e6],
    ended: true,
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: "test" }),
    instrumentationScope: { name: "test" },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/** 32-hex trace id from a small number (distinct, readable in failures). */
export function traceIdOf(n: number): string {
  return n.toString(16).padStart(32, "0");
}
export function spanIdOf(n: number): string {
  return n.toString(16).padStart(16, "0");
}

/** Records every exported span; can be told to fail. */
export class RecordingExporter implements SpanExporter {
  readonly batches: ReadableSpan[][] = [];
  fail = false;
  shutdownCalled = false;

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.fail) {
      resultCallback({ code: ExportResultCode.FAILED, error: new Error("collector unreachable") });
      return;
    }
    this.batches.push(spans);
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {
    this.shutdownCalled = true;
  }

  get spans(): ReadableSpan[] {
    return this.batches.flat();
  }

  /** Exported span ids per trace id. */
  spanIdsByTrace(): Map<string, string[]> {
    const byTrace = new Map<string, string[]>();
    for (const span of this.spans) {
      const { traceId, spanId } = span.spanContext();
      byTrace.set(traceId, [...(byTrace.get(traceId) ?? []), spanId]);
    }
    return byTrace;
  }

  /** Trace ids with at least one exported span, sorted. */
  traceIds(): string[] {
    return [...this.spanIdsByTrace().keys()].sort();
  }

  span(spanId: string): ReadableSpan | undefined {
    return this.spans.find((span) => span.spanContext().spanId === spanId);
  }
}

/** An exporter that holds every batch until the test settles it (or never, for a hanging backend). */
export class ManualExporter implements SpanExporter {
  readonly pending: { spans: ReadableSpan[]; done: (result: ExportResult) => void }[] = [];
  readonly delivered: ReadableSpan[] = [];
  shutdownCalled = false;

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.pending.push({ spans, done: resultCallback });
  }

  /** Accepts the oldest `count` held batches. */
  accept(count = this.pending.length): void {
    for (const batch of this.pending.splice(0, count)) {
      this.delivered.push(...batch.spans);
      batch.done({ code: ExportResultCode.SUCCESS });
    }
  }

  async shutdown(): Promise<void> {
    this.shutdownCalled = true;
  }

  traceIds(): string[] {
    return [...new Set(this.delivered.map((span) => span.spanContext().traceId))].sort();
  }
}

/** Collects warning lines (the processor's `warningSink`). */
export function warningLines(): { sink: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { sink: (line) => lines.push(line), lines };
}
