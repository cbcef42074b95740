/**
 * A SpanExporter that prints each trace it receives as a readable tree (what went wrong named on the span where it
 * happened). Behind the in-process sampler it sees only kept traces, so it is a useful default when no OTLP endpoint
 * is set: a developer still sees every failure without running a backend.
 */
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { formatTraceTree } from "./tree.js";
import { NODE_DIAG } from "./diag.js";

export interface ConsoleSummaryExporterOptions {
  /** Where lines go; default `process.stderr` (stdout belongs to the app). */
  write?: (text: string) => void;
  /** Traces held while waiting for their local root; the oldest is printed as is beyond this. Default 1 000. */
  maxPendingTraces?: number;
  /** The words before each trace id. Default `kept trace` (behind the sampler, every trace it sees was kept). */
  heading?: string;
}

function isLocalRoot(span: ReadableSpan): boolean {
  return span.parentSpanContext === undefined || span.parentSpanContext.isRemote === true;
}

export class ConsoleSummaryExporter implements SpanExporter {
  private readonly write: (text: string) => void;
  private readonly maxPendingTraces: number;
  private readonly heading: string;
  /** Spans of traces whose local root has not arrived yet, by trace id (insertion order = age). */
  private readonly pending = new Map<string, ReadableSpan[]>();
  private tracesPrinted = 0;

  constructor(options: ConsoleSummaryExporterOptions = {}) {
    this.write = options.write ?? ((text) => void process.stderr.write(text));
    this.maxPendingTraces = options.maxPendingTraces ?? 1_000;
    this.heading = options.heading ?? "kept trace";
  }

  /** How many traces (or trace fragments) have been printed. */
  get printedTraces(): number {
    return this.tracesPrinted;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      for (const span of spans) {
        const traceId = span.spanContext().traceId;
        const group = this.pending.get(traceId) ?? [];
        group.push(span);
        this.pending.set(traceId, group);
        if (isLocalRoot(span)) this.print(traceId);
      }
      while (this.pending.size > this.maxPendingTraces) {
        const oldest = this.pending.keys().next().value;
        if (oldest === undefined) break;
        this.print(oldest);
      }
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (error) {
      NODE_DIAG.error("console summary failed", error);
      resultCallback({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  private print(traceId: string): void {
    const spans = this.pending.get(traceId);
    this.pending.delete(traceId);
    if (spans === undefined || spans.length === 0) return;
    this.tracesPrinted += 1;
    const tree = formatTraceTree(spans).map((line) => `  ${line}`);
    this.write(`telltale: ${this.heading} ${traceId}\n${tree.join("\n")}\n`);
  }

  /** Prints what is still waiting for a root (spans that ended after their root was printed, or roots elsewhere). */
  forceFlush(): Promise<void> {
    for (const traceId of [...this.pending.keys()]) this.print(traceId);
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }
}
