/**
 * The export path: kept spans wait here, in priority lanes (error, other failures, `telltale.keep`, baseline), and
 * leave in batches, several batches in flight at once. The queue is bounded by the estimated bytes of what it holds
 * (waiting and in flight); when a span does not fit, queued spans of lower-priority traces give way, newest first,
 * and their traces give way whole. Every entry leaves through exactly one of `exported` or `lost`.
 */
import { context } from "@opentelemetry/api";
import { ExportResultCode, suppressTracing, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { Lane } from "./lane.js";
import { PRIORITY_COUNT, priorityOf, type KeptTrace, type LossReason } from "./outcomes.js";
import type { SpanRecord } from "./span-record.js";

export interface QueuedSpan {
  readonly record: SpanRecord;
  readonly trace: KeptTrace;
}

export interface ExportQueueSettings {
  readonly maxExportBatchSize: number;
  readonly scheduledDelayMillis: number;
  readonly maxConcurrentExports: number;
  readonly exportTimeoutMillis: number;
  readonly maxExportQueueBytes: number;
}

/** Where the queue reports what became of its entries. */
export interface ExportOutcomes {
  exported(entries: readonly QueuedSpan[]): void;
  lost(entries: readonly QueuedSpan[], reason: LossReason, error?: unknown): void;
}

interface InFlightBatch {
  readonly entries: QueuedSpan[];
  readonly bytes: number;
  readonly timeout: NodeJS.Timeout;
}

export class ExportQueue {
  private readonly lanes: Lane<QueuedSpan>[] = Array.from({ length: PRIORITY_COUNT }, () => new Lane<QueuedSpan>());
  private waitingCount = 0;
  private waitingBytes = 0;
  private inFlightSpans = 0;
  private inFlightBytes = 0;
  private readonly inFlight = new Set<InFlightBatch>();
  private batchTimer: NodeJS.Timeout | undefined;
  /** While > 0, partial batches leave at once (a flush or shutdown is waiting). */
  private draining = 0;
  private idleWaiters: (() => void)[] = [];
  private aborted: LossReason | undefined;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly settings: ExportQueueSettings,
    private readonly outcomes: ExportOutcomes,
  ) {}

  /** Spans waiting for an export. */
  get length(): number {
    return this.waitingCount;
  }

  /** Spans in exports that have not called back. */
  get spansInFlight(): number {
    return this.inFlightSpans;
  }

  get exportsInFlight(): number {
    return this.inFlight.size;
  }

  /** Estimated bytes held, waiting and in flight. */
  get bytes(): number {
    return this.waitingBytes + this.inFlightBytes;
  }

  add(entry: QueuedSpan): void {
    if (this.aborted !== undefined) {
      this.outcomes.lost([entry], this.aborted);
      return;
    }
    const trace = entry.trace;
    const priority = priorityOf(trace.mask);
    if (trace.evicted || !this.makeRoom(entry.record.bytes, priority)) {
      trace.evicted = true;
      this.outcomes.lost([entry], "export_queue_full");
      return;
    }
    (this.lanes[priority] as Lane<QueuedSpan>).push(entry);
    this.waitingCount++;
    this.waitingBytes += entry.record.bytes;
    this.pump();
  }

  /** Sends everything waiting now, without waiting for full batches; resolves once nothing waits or is in flight. */
  async drain(): Promise<void> {
    this.draining++;
    try {
      this.pump();
      if (this.waitingCount > 0 || this.inFlight.size > 0) {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      }
    } finally {
      this.draining--;
    }
  }

  /** Stops: every waiting and in-flight entry is lost for `reason` (a late callback from the exporter is ignored),
   * every timer is cleared, and later entries are lost at once. */
  abort(reason: LossReason): void {
    this.aborted = reason;
    this.clearBatchTimer();
    for (const batch of [...this.inFlight]) this.settle(batch, { lost: reason });
    for (const lane of this.lanes) {
      const entries = lane.drain();
      this.waitingCount -= entries.length;
      for (const entry of entries) this.waitingBytes -= entry.record.bytes;
      if (entries.length > 0) this.outcomes.lost(entries, reason);
    }
    this.wakeIdleWaiters();
  }

  /** Evicts queued spans of traces with a lower priority than `priority` until `bytes` more fit. */
  private makeRoom(bytes: number, priority: number): boolean {
    const budget = this.settings.maxExportQueueBytes;
    if (bytes > budget) return false;
    while (this.bytes + bytes > budget) {
      const victim = this.newestBelow(priority);
      if (victim === undefined) return false;
      this.waitingCount--;
      this.waitingBytes -= victim.record.bytes;
      victim.trace.evicted = true;
      this.outcomes.lost([victim], "export_queue_full");
    }
    return true;
  }

  private newestBelow(priority: number): QueuedSpan | undefined {
    for (let lane = PRIORITY_COUNT - 1; lane > priority; lane--) {
      const entry = (this.lanes[lane] as Lane<QueuedSpan>).pop();
      if (entry !== undefined) return entry;
    }
    return undefined;
  }

  /** Starts as many batches as the concurrency allows: full ones always, partial ones when draining or when the
   * batch delay has passed; otherwise arms the batch timer. */
  private pump(partialAllowed = false): void {
    const { maxExportBatchSize, maxConcurrentExports } = this.settings;
    while (this.waitingCount > 0 && this.inFlight.size < maxConcurrentExports) {
      if (this.waitingCount < maxExportBatchSize && !partialAllowed && this.draining === 0) break;
      this.startBatch();
    }
    if (this.waitingCount > 0 && this.batchTimer === undefined && this.inFlight.size < maxConcurrentExports) {
      this.batchTimer = setTimeout(() => {
        this.batchTimer = undefined;
        this.pump(true);
      }, this.settings.scheduledDelayMillis);
      this.batchTimer.unref();
    }
    if (this.waitingCount === 0) this.clearBatchTimer();
  }

  private takeBatch(): QueuedSpan[] {
    const entries: QueuedSpan[] = [];
    const evicted: QueuedSpan[] = [];
    for (const lane of this.lanes) {
      while (entries.length < this.settings.maxExportBatchSize) {
        const entry = lane.shift();
        if (entry === undefined) break;
        this.waitingCount--;
        this.waitingBytes -= entry.record.bytes;
        // The rest of a trace that already lost spans to eviction gives way too: it could not arrive whole.
        (entry.trace.evicted ? evicted : entries).push(entry);
      }
    }
    if (evicted.length > 0) this.outcomes.lost(evicted, "export_queue_full");
    return entries;
  }

  private startBatch(): void {
    const entries = this.takeBatch();
    if (entries.length === 0) return;
    let bytes = 0;
    const spans: ReadableSpan[] = [];
    for (const entry of entries) {
      bytes += entry.record.bytes;
      spans.push(entry.record);
    }
    const timeout = setTimeout(() => this.settle(batch, { lost: "export_timeout" }), this.settings.exportTimeoutMillis);
    timeout.unref();
    const batch: InFlightBatch = { entries, bytes, timeout };
    this.inFlight.add(batch);
    this.inFlightSpans += entries.length;
    this.inFlightBytes += bytes;
    const done = (result: ExportResult): void => {
      if (result.code === ExportResultCode.SUCCESS) this.settle(batch, { exported: true });
      else this.settle(batch, { lost: "exporter_failed", error: result.error });
    };
    // Like BatchSpanProcessor: the exporter's own I/O must not be traced (it would feed spans back in here).
    context.with(suppressTracing(context.active()), () => {
      try {
        this.exporter.export(spans, done);
      } catch (error) {
        done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }

  private settle(batch: InFlightBatch, outcome: { exported: true } | { lost: LossReason; error?: unknown }): void {
    // Only the first of callback, timeout and abort counts.
    if (!this.inFlight.delete(batch)) return;
    clearTimeout(batch.timeout);
    this.inFlightSpans -= batch.entries.length;
    this.inFlightBytes -= batch.bytes;
    if ("exported" in outcome) this.outcomes.exported(batch.entries);
    else this.outcomes.lost(batch.entries, outcome.lost, outcome.error);
    if (this.aborted === undefined) this.pump();
    if (this.waitingCount === 0 && this.inFlight.size === 0) this.wakeIdleWaiters();
  }

  private clearBatchTimer(): void {
    if (this.batchTimer !== undefined) clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
