/**
 * The in-process tail sampler: a SpanProcessor that buffers each trace's finished spans, decides once the trace's
 * local root has ended plus a grace period, and exports the kept traces through the wrapped exporter in batches.
 *
 * Shape of the hot path (`onEnd`, once per span): one Map lookup, the span rules (a few attribute reads), an array
 * push. Timers are few: one for the next decision deadline, one for the export batch; both `unref()`ed.
 */
import { context, diag, metrics, type Attributes, type Counter, type MeterProvider } from "@opentelemetry/api";
import { ExportResultCode, suppressTracing, type ExportResult } from "@opentelemetry/core";
import type { ReadableSpan, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace";
import {
  ATTR_TELLTALE_SAMPLER_DROP_REASON,
  ATTR_TELLTALE_SAMPLING_REASONS,
  KEEP_REASONS,
  METRIC_TELLTALE_SAMPLER_DROPPED,
  METRIC_TELLTALE_SAMPLER_KEPT,
  type KeepReason,
} from "@telltale/core";
import {
  compilePolicy,
  evaluateExtent,
  evaluateSpan,
  ExtentTracker,
  REASON_BIT,
  reasonsFromMask,
  type CompiledPolicy,
} from "./evaluators.js";
import { defaultPolicy, type SamplingPolicy } from "./policy.js";

/** Why spans were dropped (values of `telltale.sampler.drop_reason`). */
export const DROP_REASONS = [
  /** The policy decided the trace was not worth keeping. */
  "sampled_out",
  /** Too many traces buffered: the oldest undecided (healthy so far) trace was decided early and not kept. */
  "overflow",
  /** The trace reached `maxSpansPerTrace`, was decided early and not kept. */
  "span_limit",
  /** The exporter reported a failure (or timed out) for a batch of kept spans. */
  "exporter_failed",
  /** Kept spans arrived faster than the exporter took them and the export queue was full. */
  "export_queue_full",
  /** A span ended after the processor was shut down. */
  "shutdown",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface TailSamplingSpanProcessorOptions {
  /** Where kept spans go. */
  exporter: SpanExporter;
  /** The keep policy (from `parsePolicy`/`loadPolicyFile`); default {@link defaultPolicy}. */
  policy?: SamplingPolicy;
  /** Overrides `policy.buffer.decisionWaitMs`. */
  decisionWaitMs?: number;
  /** Overrides `policy.buffer.maxTraceAgeMs`. */
  maxTraceAgeMs?: number;
  /** Overrides `policy.buffer.maxTraces`. */
  maxTraces?: number;
  /** Overrides `policy.buffer.maxSpansPerTrace`. */
  maxSpansPerTrace?: number;
  /** Overrides `policy.buffer.decisionCacheSize`. */
  decisionCacheSize?: number;
  /** Spans per export call. Default 512. */
  maxExportBatchSize?: number;
  /** Longest a kept span waits for a full batch, in ms. Default 1000. */
  scheduledDelayMillis?: number;
  /** Kept spans waiting for the exporter before new ones are dropped. Default 8192. */
  maxExportQueueSize?: number;
  /** An export that has not called back by then counts as failed. Default 30000. */
  exportTimeoutMillis?: number;
  /** Meter provider for the sampler metrics; default the global one. */
  meterProvider?: MeterProvider;
}

/** Counters for tests, demos and health checks. All counts are since construction. */
export interface TailSamplingStats {
  tracesKept: number;
  tracesDropped: number;
  /** Spans the exporter accepted. */
  spansExported: number;
  /** Every dropped span, whatever the reason (the sum of `droppedSpansByReason`). */
  spansDropped: number;
  droppedSpansByReason: Record<DropReason, number>;
  /** Kept traces per reason (a trace kept for two reasons counts under both). */
  keptTracesByReason: Record<KeepReason, number>;
  /** Traces buffered and undecided right now. */
  pendingTraces: number;
  /** Spans buffered in undecided traces right now. */
  pendingSpans: number;
  /** Kept spans waiting for the exporter right now. */
  exportQueueLength: number;
}

/** A trace whose spans are buffered until it is decided. No span seen so far matched a span rule. */
interface PendingTrace {
  readonly traceId: string;
  readonly spans: ReadableSpan[];
  readonly extent: ExtentTracker;
  readonly firstSeenMs: number;
  root: ReadableSpan | undefined;
  decideAtMs: number;
  decided: boolean;
}

/** A trace kept early (a span rule matched) whose local root has not ended yet: its spans are exported as they
 * arrive and the reasons keep accumulating until the root is stamped with them. */
interface KeptTrace {
  readonly traceId: string;
  readonly extent: ExtentTracker;
  readonly firstSeenMs: number;
  mask: number;
}

/** What late spans of a decided trace follow. */
type CachedDecision = { readonly keep: true; readonly reasons: readonly KeepReason[] } | { readonly keep: false; readonly dropReason: DropReason };

type DecisionCause = "root_ended" | "max_age" | "overflow" | "span_limit" | "flush";

/** Shared drop decisions: the cache holds one of these per dropped trace instead of a new object. */
const DROP_DECISIONS: Readonly<Record<DropReason, CachedDecision>> = Object.freeze(
  Object.fromEntries(DROP_REASONS.map((dropReason) => [dropReason, Object.freeze({ keep: false, dropReason })])) as Record<
    DropReason,
    CachedDecision
  >,
);

const DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;
const DEFAULT_SCHEDULED_DELAY_MS = 1000;
const DEFAULT_MAX_EXPORT_QUEUE_SIZE = 8192;
const DEFAULT_EXPORT_TIMEOUT_MS = 30_000;
const WARN_INTERVAL_MS = 10_000;

function isLocalRoot(span: ReadableSpan): boolean {
  const parent = span.parentSpanContext;
  return parent === undefined || parent.isRemote === true;
}

/** A copy of an ended span with extra attributes (ReadableSpan is read-only; exporters only read these fields). */
function withAttributes(span: ReadableSpan, extra: Attributes): ReadableSpan {
  return {
    name: span.name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: span.status,
    attributes: { ...span.attributes, ...extra },
    links: span.links,
    events: span.events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

/** A decided trace can stay referenced from the root-ended queue until the queue is compacted (up to ~1k traces):
 * dropping its span references lets a dropped trace's spans die young instead of being promoted with it. */
function releaseSpans(trace: PendingTrace): void {
  trace.spans.length = 0;
  trace.root = undefined;
}

function emptyCounts<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

export class TailSamplingSpanProcessor implements SpanProcessor {
  private readonly exporter: SpanExporter;
  private readonly compiled: CompiledPolicy;
  private readonly decisionWaitMs: number;
  private readonly maxTraceAgeMs: number;
  private readonly maxTraces: number;
  private readonly maxSpansPerTrace: number;
  private readonly decisionCacheSize: number;
  private readonly maxExportBatchSize: number;
  private readonly scheduledDelayMillis: number;
  private readonly maxExportQueueSize: number;
  private readonly exportTimeoutMillis: number;

  private readonly pending = new Map<string, PendingTrace>();
  private readonly keptAwaitingRoot = new Map<string, KeptTrace>();
  private readonly decisions = new Map<string, CachedDecision>();
  private readonly decisionRing: (string | undefined)[] = [];
  private decisionRingNext = 0;
  /** Traces whose root ended, in deadline order (the grace period is constant, so push order is deadline order). */
  private rootEnded: PendingTrace[] = [];
  private rootEndedHead = 0;
  private pendingSpanCount = 0;

  private decisionTimer: NodeJS.Timeout | undefined;
  private decisionTimerDueMs = Infinity;

  private exportQueue: ReadableSpan[] = [];
  private exportTimer: NodeJS.Timeout | undefined;
  private exportInFlight: Promise<void> | undefined;

  private isShutdown = false;
  private shutdownPromise: Promise<void> | undefined;

  private readonly counts = {
    tracesKept: 0,
    tracesDropped: 0,
    spansExported: 0,
    droppedSpansByReason: emptyCounts(DROP_REASONS),
    keptTracesByReason: emptyCounts(KEEP_REASONS),
  };
  private readonly droppedCounter: Counter;
  private readonly keptCounter: Counter;
  private readonly dropAttributes: Record<DropReason, Attributes>;
  private readonly lastWarnMs = new Map<DropReason, number>();

  constructor(options: TailSamplingSpanProcessorOptions) {
    const policy = options.policy ?? defaultPolicy;
    this.exporter = options.exporter;
    this.compiled = compilePolicy(policy);
    this.decisionWaitMs = options.decisionWaitMs ?? policy.buffer.decisionWaitMs;
    this.maxTraceAgeMs = Math.max(options.maxTraceAgeMs ?? policy.buffer.maxTraceAgeMs, this.decisionWaitMs);
    this.maxTraces = Math.max(1, options.maxTraces ?? policy.buffer.maxTraces);
    this.maxSpansPerTrace = Math.max(1, options.maxSpansPerTrace ?? policy.buffer.maxSpansPerTrace);
    this.decisionCacheSize = Math.max(0, options.decisionCacheSize ?? policy.buffer.decisionCacheSize);
    this.maxExportBatchSize = Math.max(1, options.maxExportBatchSize ?? DEFAULT_MAX_EXPORT_BATCH_SIZE);
    this.scheduledDelayMillis = Math.max(0, options.scheduledDelayMillis ?? DEFAULT_SCHEDULED_DELAY_MS);
    this.maxExportQueueSize = Math.max(this.maxExportBatchSize, options.maxExportQueueSize ?? DEFAULT_MAX_EXPORT_QUEUE_SIZE);
    this.exportTimeoutMillis = options.exportTimeoutMillis ?? DEFAULT_EXPORT_TIMEOUT_MS;

    const meter = (options.meterProvider ?? metrics).getMeter("@telltale/sampler");
    this.droppedCounter = meter.createCounter(METRIC_TELLTALE_SAMPLER_DROPPED, {
      description: "Spans the in-process tail sampler dropped, by reason",
      unit: "{span}",
    });
    this.keptCounter = meter.createCounter(METRIC_TELLTALE_SAMPLER_KEPT, {
      description: "Traces the in-process tail sampler kept",
      unit: "{trace}",
    });
    const dropAttributes: Partial<Record<DropReason, Attributes>> = {};
    for (const reason of DROP_REASONS) dropAttributes[reason] = { [ATTR_TELLTALE_SAMPLER_DROP_REASON]: reason };
    this.dropAttributes = dropAttributes as Record<DropReason, Attributes>;
  }

  onStart(): void {
    // Decisions need finished spans only.
  }

  onEnd(span: ReadableSpan): void {
    try {
      this.handleEnd(span);
    } catch (error) {
      diag.error("telltale sampler: failed to process a span", error);
    }
  }

  /** Decides every buffered trace now and exports everything kept. */
  async forceFlush(): Promise<void> {
    this.decideAll();
    await this.drainExportQueue();
    await this.exporter.forceFlush?.();
  }

  /** Decides and exports everything pending, then shuts the exporter down. Spans ending later are counted dropped. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.decideAll();
      this.isShutdown = true;
      for (const kept of this.keptAwaitingRoot.values()) this.finishKept(kept);
      this.keptAwaitingRoot.clear();
      this.clearDecisionTimer();
      await this.drainExportQueue();
      await this.exporter.shutdown();
    })();
    return this.shutdownPromise;
  }

  stats(): TailSamplingStats {
    const dropped = { ...this.counts.droppedSpansByReason };
    return {
      tracesKept: this.counts.tracesKept,
      tracesDropped: this.counts.tracesDropped,
      spansExported: this.counts.spansExported,
      spansDropped: Object.values(dropped).reduce((sum, value) => sum + value, 0),
      droppedSpansByReason: dropped,
      keptTracesByReason: { ...this.counts.keptTracesByReason },
      pendingTraces: this.pending.size,
      pendingSpans: this.pendingSpanCount,
      exportQueueLength: this.exportQueue.length,
    };
  }

  // ------------------------------------------------------------------------------------------------------------
  // Span intake
  // ------------------------------------------------------------------------------------------------------------

  private handleEnd(span: ReadableSpan): void {
    if (this.isShutdown) {
      this.countDropped(1, "shutdown");
      return;
    }
    const traceId = span.spanContext().traceId;

    const pending = this.pending.get(traceId);
    if (pending !== undefined) {
      this.addToPending(pending, span);
      return;
    }
    const kept = this.keptAwaitingRoot.get(traceId);
    if (kept !== undefined) {
      this.addToKept(kept, span);
      return;
    }
    const decision = this.decisions.get(traceId);
    if (decision !== undefined) {
      this.followDecision(traceId, decision, span);
      return;
    }

    const mask = evaluateSpan(this.compiled, span);
    if (mask !== 0) {
      this.keepEarly(traceId, new ExtentTracker(span), [span], mask, Date.now(), isLocalRoot(span) ? span : undefined);
      return;
    }
    this.makeRoomForTrace();
    const now = Date.now();
    const trace: PendingTrace = {
      traceId,
      spans: [],
      extent: new ExtentTracker(span),
      firstSeenMs: now,
      root: undefined,
      decideAtMs: Infinity,
      decided: false,
    };
    this.pending.set(traceId, trace);
    this.scheduleDecisionTimer(now + this.maxTraceAgeMs);
    this.addToPending(trace, span, false);
  }

  private addToPending(trace: PendingTrace, span: ReadableSpan, evaluate = true): void {
    trace.spans.push(span);
    this.pendingSpanCount++;
    trace.extent.add(span);
    const mask = evaluate ? evaluateSpan(this.compiled, span) : 0;
    const localRoot = isLocalRoot(span);
    if (mask !== 0) {
      // Known to be worth keeping: decide now and flush what is buffered instead of holding it.
      this.removePending(trace);
      this.keepEarly(trace.traceId, trace.extent, trace.spans, mask, trace.firstSeenMs, trace.root ?? (localRoot ? span : undefined));
      return;
    }
    if (localRoot && trace.root === undefined) {
      trace.root = span;
      trace.decideAtMs = Date.now() + this.decisionWaitMs;
      this.rootEnded.push(trace);
      this.scheduleDecisionTimer(trace.decideAtMs);
    }
    if (trace.spans.length >= this.maxSpansPerTrace) this.decide(trace, "span_limit");
  }

  private addToKept(kept: KeptTrace, span: ReadableSpan): void {
    kept.extent.add(span);
    kept.mask |= evaluateSpan(this.compiled, span);
    if (isLocalRoot(span)) {
      this.keptAwaitingRoot.delete(kept.traceId);
      const reasons = this.finishKept(kept);
      this.enqueueExport(withAttributes(span, { [ATTR_TELLTALE_SAMPLING_REASONS]: reasons }));
      return;
    }
    this.enqueueExport(span);
  }

  private followDecision(traceId: string, decision: CachedDecision, span: ReadableSpan): void {
    if (decision.keep) {
      // A second local root of a kept trace (e.g. another request in the same distributed trace) gets the reasons too.
      this.enqueueExport(
        isLocalRoot(span) ? withAttributes(span, { [ATTR_TELLTALE_SAMPLING_REASONS]: [...decision.reasons] }) : span,
      );
      return;
    }
    const mask = evaluateSpan(this.compiled, span);
    if (mask === 0) {
      this.countDropped(1, decision.dropReason);
      return;
    }
    // A span that proves the trace worth keeping arrived after the trace was dropped (decided early by overflow, or
    // later than the grace period): keep what is left rather than lose the error.
    this.counts.tracesDropped--;
    this.keepEarly(traceId, new ExtentTracker(span), [span], mask, Date.now(), isLocalRoot(span) ? span : undefined);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Decisions
  // ------------------------------------------------------------------------------------------------------------

  /** Keeps a trace because a span rule matched: exports its buffered spans now and tracks it until its root ends. */
  private keepEarly(
    traceId: string,
    extent: ExtentTracker,
    spans: readonly ReadableSpan[],
    mask: number,
    firstSeenMs: number,
    root: ReadableSpan | undefined,
  ): void {
    this.counts.tracesKept++;
    this.keptCounter.add(1);
    if (root !== undefined) {
      let fullMask = mask;
      for (const span of spans) fullMask |= evaluateSpan(this.compiled, span);
      const reasons = this.finishKept({ traceId, extent, firstSeenMs, mask: fullMask });
      for (const span of spans) {
        this.enqueueExport(span === root ? withAttributes(span, { [ATTR_TELLTALE_SAMPLING_REASONS]: reasons }) : span);
      }
      return;
    }
    for (const span of spans) this.enqueueExport(span);
    if (this.keptAwaitingRoot.size >= this.maxTraces) {
      // Bounded like the pending traces: the oldest tracker is finished without its root; the decision cache still
      // keeps (and stamps) the root if it comes.
      const oldest = this.keptAwaitingRoot.values().next().value;
      if (oldest !== undefined) {
        this.keptAwaitingRoot.delete(oldest.traceId);
        this.finishKept(oldest);
      }
    }
    this.keptAwaitingRoot.set(traceId, { traceId, extent, firstSeenMs, mask });
    this.scheduleDecisionTimer(firstSeenMs + this.maxTraceAgeMs);
  }

  /** Final reasons of a kept trace: counted, cached for late spans, returned for the root. */
  private finishKept(kept: KeptTrace): KeepReason[] {
    const reasons = reasonsFromMask(kept.mask | evaluateExtent(this.compiled, kept.extent));
    for (const reason of reasons) this.counts.keptTracesByReason[reason]++;
    this.remember(kept.traceId, { keep: true, reasons });
    return reasons;
  }

  private decide(trace: PendingTrace, cause: DecisionCause): void {
    this.removePending(trace);
    let mask = evaluateExtent(this.compiled, trace.extent);
    if (mask === 0 && this.compiled.baselineKeeps(trace.traceId)) mask = REASON_BIT.baseline;
    if (mask !== 0) {
      this.counts.tracesKept++;
      this.keptCounter.add(1);
      const reasons = reasonsFromMask(mask);
      for (const reason of reasons) this.counts.keptTracesByReason[reason]++;
      this.remember(trace.traceId, { keep: true, reasons });
      for (const span of trace.spans) {
        this.enqueueExport(
          span === trace.root ? withAttributes(span, { [ATTR_TELLTALE_SAMPLING_REASONS]: [...reasons] }) : span,
        );
      }
      releaseSpans(trace);
      return;
    }
    const dropReason: DropReason = cause === "overflow" ? "overflow" : cause === "span_limit" ? "span_limit" : "sampled_out";
    this.counts.tracesDropped++;
    this.remember(trace.traceId, DROP_DECISIONS[dropReason]);
    this.countDropped(trace.spans.length, dropReason);
    releaseSpans(trace);
  }

  private removePending(trace: PendingTrace): void {
    trace.decided = true;
    this.pending.delete(trace.traceId);
    this.pendingSpanCount -= trace.spans.length;
  }

  /** Before buffering a new trace at capacity: decide the oldest undecided traces (all healthy so far, since any
   * trace with a matching span was already kept) until there is room. */
  private makeRoomForTrace(): void {
    while (this.pending.size >= this.maxTraces) {
      const oldest = this.pending.values().next().value;
      if (oldest === undefined) return;
      this.decide(oldest, "overflow");
    }
  }

  private remember(traceId: string, decision: CachedDecision): void {
    if (this.decisionCacheSize === 0) return;
    const known = this.decisions.has(traceId);
    this.decisions.set(traceId, decision);
    if (known) return;
    // Oldest-first eviction through a ring of ids: no iterator or re-insertion per decision on the hot path.
    const evicted = this.decisionRing[this.decisionRingNext];
    if (evicted !== undefined) this.decisions.delete(evicted);
    this.decisionRing[this.decisionRingNext] = traceId;
    this.decisionRingNext = (this.decisionRingNext + 1) % this.decisionCacheSize;
  }

  private decideAll(): void {
    for (const trace of [...this.pending.values()]) this.decide(trace, "flush");
    this.rootEnded = [];
    this.rootEndedHead = 0;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Decision timer
  // ------------------------------------------------------------------------------------------------------------

  private scheduleDecisionTimer(dueMs: number): void {
    if (this.isShutdown || dueMs >= this.decisionTimerDueMs) return;
    this.clearDecisionTimer();
    this.decisionTimerDueMs = dueMs;
    this.decisionTimer = setTimeout(() => this.onDecisionTimer(), Math.max(0, dueMs - Date.now()));
    this.decisionTimer.unref();
  }

  private clearDecisionTimer(): void {
    if (this.decisionTimer !== undefined) clearTimeout(this.decisionTimer);
    this.decisionTimer = undefined;
    this.decisionTimerDueMs = Infinity;
  }

  private onDecisionTimer(): void {
    this.decisionTimer = undefined;
    this.decisionTimerDueMs = Infinity;
    try {
      this.decideDue(Date.now());
    } catch (error) {
      diag.error("telltale sampler: failed to decide traces", error);
    }
    const next = this.nextDeadline();
    if (next !== Infinity) this.scheduleDecisionTimer(next);
  }

  private decideDue(now: number): void {
    while (this.rootEndedHead < this.rootEnded.length) {
      const trace = this.rootEnded[this.rootEndedHead] as PendingTrace;
      if (!trace.decided && trace.decideAtMs > now) break;
      this.rootEndedHead++;
      if (!trace.decided) this.decide(trace, "root_ended");
    }
    if (this.rootEndedHead > 1024 && this.rootEndedHead * 2 > this.rootEnded.length) {
      this.rootEnded = this.rootEnded.slice(this.rootEndedHead);
      this.rootEndedHead = 0;
    }
    // Map iteration is insertion order, i.e. first-seen order: stop at the first trace that is not too old.
    for (const trace of this.pending.values()) {
      if (trace.firstSeenMs + this.maxTraceAgeMs > now) break;
      this.decide(trace, "max_age");
    }
    for (const kept of this.keptAwaitingRoot.values()) {
      if (kept.firstSeenMs + this.maxTraceAgeMs > now) break;
      this.keptAwaitingRoot.delete(kept.traceId);
      this.finishKept(kept);
    }
  }

  private nextDeadline(): number {
    let next = Infinity;
    for (let index = this.rootEndedHead; index < this.rootEnded.length; index++) {
      const trace = this.rootEnded[index] as PendingTrace;
      if (!trace.decided) {
        next = trace.decideAtMs;
        break;
      }
    }
    const oldestPending = this.pending.values().next().value;
    if (oldestPending !== undefined) next = Math.min(next, oldestPending.firstSeenMs + this.maxTraceAgeMs);
    const oldestKept = this.keptAwaitingRoot.values().next().value;
    if (oldestKept !== undefined) next = Math.min(next, oldestKept.firstSeenMs + this.maxTraceAgeMs);
    return next;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Export
  // ------------------------------------------------------------------------------------------------------------

  private enqueueExport(span: ReadableSpan): void {
    if (this.exportQueue.length >= this.maxExportQueueSize) {
      this.countDropped(1, "export_queue_full");
      return;
    }
    this.exportQueue.push(span);
    if (this.exportQueue.length >= this.maxExportBatchSize) this.exportNextBatch();
    else this.scheduleExportTimer();
  }

  /** Starts one export if none is running; the next batch starts when it completes. */
  private exportNextBatch(): void {
    if (this.exportInFlight !== undefined || this.exportQueue.length === 0) return;
    if (this.exportTimer !== undefined) {
      clearTimeout(this.exportTimer);
      this.exportTimer = undefined;
    }
    const batch = this.exportQueue.splice(0, this.maxExportBatchSize);
    let markDone!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      markDone = resolve;
    });
    // Set before calling the exporter: a synchronous exporter calls back before export() returns.
    this.exportInFlight = inFlight;
    let settled = false;
    const timeout = setTimeout(
      () => finish({ code: ExportResultCode.FAILED, error: new Error("export timed out") }),
      this.exportTimeoutMillis,
    );
    timeout.unref();
    const finish = (result: ExportResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      if (result.code === ExportResultCode.SUCCESS) {
        this.counts.spansExported += batch.length;
      } else {
        this.countDropped(batch.length, "exporter_failed", result.error);
      }
      if (this.exportInFlight === inFlight) this.exportInFlight = undefined;
      markDone();
      if (this.exportQueue.length >= this.maxExportBatchSize) this.exportNextBatch();
      else if (this.exportQueue.length > 0) this.scheduleExportTimer();
    };
    // Like BatchSpanProcessor: the exporter's own I/O must not be traced (it would feed spans back in here).
    context.with(suppressTracing(context.active()), () => {
      try {
        this.exporter.export(batch, finish);
      } catch (error) {
        finish({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
  }

  private scheduleExportTimer(): void {
    if (this.exportTimer !== undefined) return;
    this.exportTimer = setTimeout(() => {
      this.exportTimer = undefined;
      this.exportNextBatch();
    }, this.scheduledDelayMillis);
    this.exportTimer.unref();
  }

  private async drainExportQueue(): Promise<void> {
    while (this.exportQueue.length > 0 || this.exportInFlight !== undefined) {
      if (this.exportInFlight === undefined) this.exportNextBatch();
      await this.exportInFlight;
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Drop accounting
  // ------------------------------------------------------------------------------------------------------------

  private countDropped(spanCount: number, reason: DropReason, error?: unknown): void {
    if (spanCount <= 0) return;
    this.counts.droppedSpansByReason[reason] += spanCount;
    this.droppedCounter.add(spanCount, this.dropAttributes[reason]);
    // Policy drops are the normal case (most traces): counted, never logged.
    if (reason === "sampled_out") return;
    // Anything but a policy drop is a loss worth a warning, throttled so an overload does not flood the log.
    const now = Date.now();
    const last = this.lastWarnMs.get(reason);
    if (last === undefined || now - last >= WARN_INTERVAL_MS) {
      this.lastWarnMs.set(reason, now);
      const total = this.counts.droppedSpansByReason[reason];
      diag.warn(`telltale sampler: dropped ${spanCount} span(s) (${reason}; ${total} so far)`, ...(error ? [error] : []));
    }
  }
}
