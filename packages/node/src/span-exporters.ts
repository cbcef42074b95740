/**
 * Small SpanExporter wrappers `start()` composes into the trace export path: fan-out to several destinations, a
 * sink for "nowhere", the record behind `keptTraces()`, and the wait for the resource's async attributes.
 */
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { ATTR_TELLTALE_SAMPLING_REASONS } from "@telltale/core/attributes";
import { NODE_DIAG } from "./diag.js";

/** One kept trace, as the in-process sampler exported it. */
export interface KeptTraceSummary {
  readonly traceId: string;
  /** The local root span's name (`invoke_agent triage`), or undefined if the root was not exported (yet). */
  readonly rootName: string | undefined;
  /** `telltale.sampling.reasons` from the root: why the trace was kept. */
  readonly reasons: readonly string[];
  /** Spans exported for this trace so far. */
  readonly spanCount: number;
}

function failure(error: unknown): ExportResult {
  return { code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) };
}

/** Sends every batch to each exporter; succeeds only if all do (so the sampler counts a failure once). */
export class FanOutExporter implements SpanExporter {
  constructor(private readonly exporters: readonly SpanExporter[]) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let remaining = this.exporters.length;
    let failed: ExportResult | undefined;
    const settle = (result: ExportResult): void => {
      if (result.code !== ExportResultCode.SUCCESS) failed ??= result;
      remaining -= 1;
      if (remaining === 0) resultCallback(failed ?? { code: ExportResultCode.SUCCESS });
    };
    for (const exporter of this.exporters) {
      try {
        exporter.export(spans, settle);
      } catch (error) {
        settle(failure(error));
      }
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.exporters.map((exporter) => exporter.forceFlush?.()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.exporters.map((exporter) => exporter.shutdown()));
  }
}

/** Drops everything: the sampler still decides and counts when no destination is configured. */
export class DiscardingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const MAX_KEPT_TRACE_SUMMARIES = 10_000;

/** Remembers what the sampler exported, per trace, for `keptTraces()`; passes every batch on unchanged. */
export class KeptTraceRecorder implements SpanExporter {
  private readonly traces = new Map<string, { rootName: string | undefined; reasons: string[]; spanCount: number }>();

  constructor(private readonly next: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      for (const span of spans) this.record(span);
    } catch (error) {
      NODE_DIAG.error("recording kept traces failed", error);
    }
    this.next.export(spans, resultCallback);
  }

  private record(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let entry = this.traces.get(traceId);
    if (entry === undefined) {
      entry = { rootName: undefined, reasons: [], spanCount: 0 };
      this.traces.set(traceId, entry);
      if (this.traces.size > MAX_KEPT_TRACE_SUMMARIES) this.traces.delete(this.traces.keys().next().value!);
    }
    entry.spanCount += 1;
    const parent = span.parentSpanContext;
    if (parent === undefined || parent.isRemote === true) {
      entry.rootName = span.name;
      const reasons = span.attributes[ATTR_TELLTALE_SAMPLING_REASONS];
      if (Array.isArray(reasons)) entry.reasons = reasons.map((reason) => String(reason));
    }
  }

  summaries(): KeptTraceSummary[] {
    return [...this.traces].map(([traceId, entry]) => ({ traceId, ...entry, reasons: [...entry.reasons] }));
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}

/**
 * Holds each batch until the spans' resource has its async attributes (the host detector reads the machine id
 * asynchronously): an OTLP serializer reading them earlier gets an incomplete resource and a diag error per batch.
 * The BatchSpanProcessor waits the same way; the tail sampler exports straight through this.
 */
export class ResourceSettledExporter implements SpanExporter {
  constructor(private readonly next: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const resource = spans[0]?.resource;
    if (resource?.asyncAttributesPending !== true || resource.waitForAsyncAttributes === undefined) {
      this.next.export(spans, resultCallback);
      return;
    }
    resource.waitForAsyncAttributes().then(
      () => this.next.export(spans, resultCallback),
      (error: unknown) => resultCallback(failure(error)),
    );
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}
