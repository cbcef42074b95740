/**
 * The in-process tail sampler: a SpanProcessor that buffers each trace's finished spans (trace-buffer.ts), decides
 * once the trace's local root has ended plus a grace period (evaluators.ts), remembers decisions for late spans
 * (decision-cache.ts) and hands kept traces to the export path (export-queue.ts), which delivers them by priority
 * and accounts for every span (ledger.ts).
 *
 * Shape of the hot path (`onEnd`, once per span): one Map lookup, one pass over the span's attributes (its rules,
 * its byte estimate), the compact record, an array push. The clock is read per trace and per root, not per span
 * (a clock read costs as much as the rest of a span's work on some virtual machines). Timers are few and none holds
 * the process open.
 */
import { diag, metrics, type MeterProvider } from "@opentelemetry/api";
import type { ReadableSpan, SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace";
import { ATTR_TELLTALE_SAMPLING_REASONS, type KeepReason } from "@telltale/core/attributes";
import { DecisionCache } from "./decision-cache.js";
import { compilePolicy, ExtentTracker, REASON_BIT, reasonsFromMask, SpanReader, type CompiledPolicy } from "./evaluators.js";
import { ExportQueue, type QueuedSpan } from "./export-queue.js";
import { SamplerLedger, type TailSamplingStats } from "./ledger.js";
import { optionInRange } from "./limits.js";
import { defaultWarningSink, LossWarning, type WarningSink } from "./loss-warning.js";
import { KeptTrace, type DropReason, type LossReason } from "./outcomes.js";
import { defaultPolicy, type SamplingPolicy } from "./policy.js";
import { isLocalRoot, recordBytes, SpanRecord } from "./span-record.js";
import { TraceBuffer, type PendingTrace } from "./trace-buffer.js";

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
  /** Overrides `policy.buffer.maxBufferBytes`: estimated bytes of undecided traces. */
  maxBufferBytes?: number;
  /** Overrides `policy.buffer.maxExportQueueBytes`: estimated bytes of kept spans waiting for the exporter. */
  maxExportQueueBytes?: number;
  /** Spans per export call. Default 512. */
  maxExportBatchSize?: number;
  /** Longest a kept span waits for a full batch, in ms. Default 1000. */
  scheduledDelayMillis?: number;
  /** Exports in flight at once. Default 4. */
  maxConcurrentExports?: number;
  /** An export that has not called back by then counts as failed (`export_timeout`). Default 30000. */
  exportTimeoutMillis?: number;
  /** The longest `shutdown()` and `forceFlush()` take, in ms. At the timeout `shutdown()` stops waiting, counts what
   * the exporter has not taken as lost (`shutdown_timeout`) and clears its timers. Default 5000. */
  shutdownTimeoutMillis?: number;
  /** Where the loss warning goes, one line ending in "\n" per call. Default `process.stderr.write`. */
  warningSink?: WarningSink;
  /** At most one loss warning line per this many ms. Default 60000. */
  warningIntervalMillis?: number;
  /** Meter provider for the sampler metrics; default the global one. */
  meterProvider?: MeterProvider;
}

const DEFAULT_MAX_EXPORT_BATCH_SIZE = 512;
const DEFAULT_SCHEDULED_DELAY_MS = 1000;
const DEFAULT_MAX_CONCURRENT_EXPORTS = 4;
const DEFAULT_EXPORT_TIMEOUT_MS = 30_000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;
const DEFAULT_WARNING_INTERVAL_MS = 60_000;
const DIAG_INTERVAL_MS = 10_000;

/** What a decided trace's late spans follow: the kept trace, or why it was dropped. */
type Decision = KeptTrace | DropReason;
type DecisionCause = "root_ended" | "max_age" | "overflow" | "span_limit" | "flush";

/** Resolves true when `promise` settles within `ms`, false at the timeout; the timer is cleared either way. */
async function withinTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class TailSamplingSpanProcessor implements SpanProcessor {
  private readonly exporter: SpanExporter;
  private readonly compiled: CompiledPolicy;
  private readonly reader: SpanReader;
  private readonly maxTraceAgeMs: number;
  private readonly maxSpansPerTrace: number;
  private readonly maxOpenKept: number;
  private readonly shutdownTimeoutMillis: number;
  private readonly buffer: TraceBuffer;
  private readonly decisions: DecisionCache<Decision>;
  private readonly queue: ExportQueue;
  private readonly ledger: SamplerLedger;
  private readonly warning: LossWarning;

  private decisionTimer: NodeJS.Timeout | undefined;
  private decisionTimerDueMs = Infinity;
  private isShutdown = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly lastDiagMs = new Map<DropReason, number>();

  constructor(options: TailSamplingSpanProcessorOptions) {
    const policy = options.policy ?? defaultPolicy;
    const buffer = policy.buffer;
    this.exporter = options.exporter;
    this.compiled = compilePolicy(policy);
    this.reader = new SpanReader(policy.rules);
    const decisionWaitMs = optionInRange("decisionWaitMs", options.decisionWaitMs, buffer.decisionWaitMs);
    this.maxTraceAgeMs = Math.max(optionInRange("maxTraceAgeMs", options.maxTraceAgeMs, buffer.maxTraceAgeMs), decisionWaitMs);
    const maxTraces = optionInRange("maxTraces", options.maxTraces, buffer.maxTraces);
    this.maxOpenKept = maxTraces;
    this.maxSpansPerTrace = optionInRange("maxSpansPerTrace", options.maxSpansPerTrace, buffer.maxSpansPerTrace);
    this.shutdownTimeoutMillis = optionInRange("shutdownTimeoutMillis", options.shutdownTimeoutMillis, DEFAULT_SHUTDOWN_TIMEOUT_MS);
    this.buffer = new TraceBuffer({
      decisionWaitMs,
      maxTraceAgeMs: this.maxTraceAgeMs,
      maxTraces,
      maxBufferBytes: optionInRange("maxBufferBytes", options.maxBufferBytes, buffer.maxBufferBytes),
    });
    this.decisions = new DecisionCache(optionInRange("decisionCacheSize", options.decisionCacheSize, buffer.decisionCacheSize));
    this.warning = new LossWarning(
      options.warningSink ?? defaultWarningSink,
      optionInRange("warningIntervalMillis", options.warningIntervalMillis, DEFAULT_WARNING_INTERVAL_MS),
    );
    this.ledger = new SamplerLedger((options.meterProvider ?? metrics).getMeter("@telltale/sampler"), this.warning);
    const maxExportBatchSize = optionInRange("maxExportBatchSize", options.maxExportBatchSize, DEFAULT_MAX_EXPORT_BATCH_SIZE);
    this.queue = new ExportQueue(
      this.exporter,
      {
        maxExportBatchSize,
        scheduledDelayMillis: optionInRange("scheduledDelayMillis", options.scheduledDelayMillis, DEFAULT_SCHEDULED_DELAY_MS),
        maxConcurrentExports: optionInRange("maxConcurrentExports", options.maxConcurrentExports, DEFAULT_MAX_CONCURRENT_EXPORTS),
        exportTimeoutMillis: optionInRange("exportTimeoutMillis", options.exportTimeoutMillis, DEFAULT_EXPORT_TIMEOUT_MS),
        maxExportQueueBytes: optionInRange("maxExportQueueBytes", options.maxExportQueueBytes, buffer.maxExportQueueBytes),
      },
      { exported: (entries) => this.onExported(entries), lost: (entries, reason, error) => this.onLost(entries, reason, error) },
    );
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

  /** Decides every buffered trace now and exports everything kept; resolves within `shutdownTimeoutMillis` (what is
   * still in flight then keeps going and is counted when it ends). Kept traces whose root is still running stay open. */
  async forceFlush(): Promise<void> {
    if (this.isShutdown) return this.shutdownPromise;
    const deadline = Date.now() + this.shutdownTimeoutMillis;
    this.decideAll();
    if (await withinTimeout(this.queue.drain(), deadline - Date.now())) {
      await withinTimeout(this.exporter.forceFlush?.() ?? Promise.resolve(), deadline - Date.now());
    }
  }

  /**
   * Decides and exports everything pending, then shuts the exporter down, all within `shutdownTimeoutMillis`. At the
   * timeout it stops waiting: what the exporter has not taken is counted lost (`shutdown_timeout`). When it resolves,
   * no timer of the sampler is left. Spans ending later are counted dropped (`shutdown`).
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.shutDown();
    return this.shutdownPromise;
  }

  stats(): TailSamplingStats {
    return this.ledger.stats({
      pendingTraces: this.buffer.traceCount,
      pendingSpans: this.buffer.spans,
      bufferedBytes: this.buffer.bytes,
      exportQueueLength: this.queue.length,
      spansInFlight: this.queue.spansInFlight,
      exportsInFlight: this.queue.exportsInFlight,
      exportQueueBytes: this.queue.bytes,
    });
  }

  private async shutDown(): Promise<void> {
    const deadline = Date.now() + this.shutdownTimeoutMillis;
    try {
      this.decideAll();
      this.isShutdown = true;
      this.clearDecisionTimer();
      for (const kept of this.buffer.allOpenKept()) this.close(kept, undefined);
      if (!(await withinTimeout(this.queue.drain(), deadline - Date.now()))) this.queue.abort("shutdown_timeout");
      await withinTimeout(
        Promise.resolve().then(() => this.exporter.shutdown()),
        deadline - Date.now(),
      );
    } catch (error) {
      diag.error("telltale sampler: shutdown failed", error);
      this.queue.abort("shutdown_timeout");
    } finally {
      this.warning.flush();
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Span intake
  // ------------------------------------------------------------------------------------------------------------

  private handleEnd(span: ReadableSpan): void {
    this.ledger.spansReceived++;
    if (this.isShutdown) {
      this.countDropped(1, "shutdown");
      return;
    }
    const traceId = span.spanContext().traceId;
    const pending = this.buffer.get(traceId);
    if (pending !== undefined) {
      this.addToPending(pending, span);
      return;
    }
    const open = this.buffer.getOpenKept(traceId);
    if (open !== undefined) {
      this.addToOpenKept(open, span);
      return;
    }
    const decision = this.decisions.get(traceId);
    if (decision !== undefined) {
      this.followDecision(traceId, decision, span);
      return;
    }
    const mask = this.reader.read(span);
    const record = this.record(span);
    if (mask !== 0) {
      this.keepNew(traceId, record, mask, this.reader.workflowName);
      return;
    }
    const now = Date.now();
    const trace = this.buffer.open(traceId, record, this.reader.workflowName, isLocalRoot(record.parentSpanContext), now);
    this.scheduleDecisionTimer(trace.root === undefined ? now + this.maxTraceAgeMs : trace.decideAtMs);
    this.makeRoom();
  }

  /** The compact record of the span the reader read last. */
  private record(span: ReadableSpan): SpanRecord {
    return new SpanRecord(span, recordBytes(span, this.reader.bytes));
  }

  private addToPending(trace: PendingTrace, span: ReadableSpan): void {
    const mask = this.reader.read(span);
    const record = this.record(span);
    const isRoot = isLocalRoot(record.parentSpanContext);
    this.buffer.add(trace, record, this.reader.workflowName, isRoot);
    if (mask !== 0) {
      // Known to be worth keeping: decide now and hand over what is buffered instead of holding it.
      this.buffer.remove(trace);
      this.keep(trace, mask, "span_rule");
      return;
    }
    if (isRoot && trace.root === record) this.scheduleDecisionTimer(trace.decideAtMs);
    if (trace.spans.length >= this.maxSpansPerTrace) this.decide(trace, "span_limit");
    else this.makeRoom();
  }

  private addToOpenKept(kept: KeptTrace, span: ReadableSpan): void {
    kept.mask |= this.reader.read(span);
    const record = this.record(span);
    kept.extent?.add(record, this.reader.workflowName);
    if (isLocalRoot(record.parentSpanContext)) this.close(kept, record);
    else this.enqueue(kept, record);
  }

  private followDecision(traceId: string, decision: Decision, span: ReadableSpan): void {
    const mask = this.reader.read(span);
    if (typeof decision !== "string") {
      const record = this.record(span);
      // A second local root of a kept trace (e.g. another request in the same distributed trace) gets the reasons too.
      const reasons = decision.reasons ?? reasonsFromMask(decision.mask);
      this.enqueue(decision, isLocalRoot(record.parentSpanContext) ? record.withAttributes({ [ATTR_TELLTALE_SAMPLING_REASONS]: reasons }) : record);
      return;
    }
    if (mask === 0) {
      this.countDropped(1, decision);
      return;
    }
    // A span that proves the trace worth keeping arrived after the trace was dropped (decided early by overflow, or
    // later than the grace period): keep what is left rather than lose the error.
    this.ledger.dropRevoked();
    this.keepNew(traceId, this.record(span), mask, this.reader.workflowName);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Decisions
  // ------------------------------------------------------------------------------------------------------------

  /** Keeps a trace first seen with a span that matched a rule. */
  private keepNew(traceId: string, record: SpanRecord, mask: number, workflowName: string | undefined): void {
    const extent = new ExtentTracker(record, workflowName);
    const kept = this.startKept(traceId, mask, extent, Date.now());
    if (isLocalRoot(record.parentSpanContext)) {
      this.close(kept, record);
      return;
    }
    this.trackOpen(kept);
    this.enqueue(kept, record);
  }

  /** Keeps a buffered trace: its spans go to the export queue, in the order they ended; it stays open until its
   * root ends (unless the root is here, or the trace is too old to wait for it). */
  private keep(trace: PendingTrace, mask: number, cause: DecisionCause | "span_rule"): void {
    const kept = this.startKept(trace.traceId, mask, trace.extent, trace.firstSeenMs);
    const root = trace.root;
    const closing = root !== undefined || cause === "max_age";
    const stamp = closing ? { [ATTR_TELLTALE_SAMPLING_REASONS]: this.finishReasons(kept) } : undefined;
    for (const record of trace.spans) this.enqueue(kept, record === root && stamp ? record.withAttributes(stamp) : record);
    trace.spans.length = 0;
    trace.root = undefined;
    if (closing) this.settleIfDone(kept);
    else this.trackOpen(kept);
  }

  private startKept(traceId: string, mask: number, extent: ExtentTracker, firstSeenMs: number): KeptTrace {
    const kept = new KeptTrace(traceId, mask, extent, firstSeenMs);
    this.ledger.traceKept();
    this.decisions.set(traceId, kept);
    return kept;
  }

  private trackOpen(kept: KeptTrace): void {
    const evicted = this.buffer.addOpenKept(kept);
    // Bounded like the undecided traces: the oldest is closed without its root; the decision cache still keeps (and
    // stamps) the root if it comes.
    if (evicted !== undefined) this.close(evicted, undefined);
    this.scheduleDecisionTimer(kept.firstSeenMs + this.maxTraceAgeMs);
  }

  /** Closes a kept trace: its reasons become final and are stamped on the root (if it is here). */
  private close(kept: KeptTrace, root: SpanRecord | undefined): void {
    this.buffer.deleteOpenKept(kept);
    const reasons = this.finishReasons(kept);
    if (root !== undefined) this.enqueue(kept, root.withAttributes({ [ATTR_TELLTALE_SAMPLING_REASONS]: reasons }));
    this.settleIfDone(kept);
  }

  /** Final reasons of a kept trace (with the trace rules over its whole extent), counted once. */
  private finishReasons(kept: KeptTrace): KeepReason[] {
    if (kept.extent !== undefined) kept.mask |= this.compiled.traceMask(kept.extent);
    kept.extent = undefined;
    const reasons = reasonsFromMask(kept.mask);
    kept.reasons = reasons;
    this.ledger.reasonsFinal(reasons);
    return reasons;
  }

  private decide(trace: PendingTrace, cause: DecisionCause): void {
    this.buffer.remove(trace);
    let mask = this.compiled.traceMask(trace.extent);
    if (mask === 0 && this.compiled.baselineKeeps(trace.traceId)) mask = REASON_BIT.baseline;
    if (mask !== 0) {
      this.keep(trace, mask, cause);
      return;
    }
    const reason: DropReason = cause === "overflow" ? "overflow" : cause === "span_limit" ? "span_limit" : "sampled_out";
    this.ledger.traceDropped(0, reason);
    this.countDropped(trace.spans.length, reason);
    this.decisions.set(trace.traceId, reason);
    // A decided trace can stay referenced from the root-ended queue for a while: let its spans die young.
    trace.spans.length = 0;
    trace.root = undefined;
  }

  /** Past the buffer's trace count or byte budget: decide the oldest undecided traces (all healthy so far, since
   * any trace with a matching span was already kept) until it fits. */
  private makeRoom(): void {
    while (this.buffer.overBudget()) {
      const oldest = this.buffer.oldest();
      if (oldest === undefined) return;
      this.decide(oldest, "overflow");
    }
  }

  private decideAll(): void {
    for (const trace of this.buffer.all()) this.decide(trace, "flush");
  }

  // ------------------------------------------------------------------------------------------------------------
  // Export outcomes
  // ------------------------------------------------------------------------------------------------------------

  private enqueue(kept: KeptTrace, record: SpanRecord): void {
    kept.queued++;
    this.queue.add({ record, trace: kept });
  }

  private onExported(entries: readonly QueuedSpan[]): void {
    this.ledger.spansDelivered(entries.length);
    for (const entry of entries) {
      entry.trace.queued--;
      this.settleIfDone(entry.trace);
    }
  }

  private onLost(entries: readonly QueuedSpan[], reason: LossReason, error?: unknown): void {
    this.ledger.spansLostAfterKeep(entries.length, reason, error);
    for (const entry of entries) {
      const trace = entry.trace;
      trace.queued--;
      if (!trace.settled) trace.lostReason ??= reason;
      this.settleIfDone(trace);
    }
    if (error !== undefined) diag.debug("telltale sampler: export failed", error);
    this.warning.report();
  }

  private settleIfDone(kept: KeptTrace): void {
    if (kept.settled || kept.open || kept.queued > 0) return;
    kept.settled = true;
    this.ledger.traceSettled(kept);
  }

  private countDropped(count: number, reason: DropReason): void {
    this.ledger.spansDropped(count, reason);
    // Policy drops are the normal case (most traces): counted, never logged. Overflow means the buffer is too small
    // for the load; it drops healthy traces only, so it is a diagnostic, not a loss warning.
    if (reason === "sampled_out" || count <= 0) return;
    const now = Date.now();
    const last = this.lastDiagMs.get(reason);
    if (last === undefined || now - last >= DIAG_INTERVAL_MS) {
      this.lastDiagMs.set(reason, now);
      diag.warn(`telltale sampler: dropped ${count} span(s) of undecided traces (${reason})`);
    }
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
      const now = Date.now();
      for (const trace of this.buffer.rootEndedDue(now)) this.decide(trace, "root_ended");
      for (const trace of this.buffer.tooOld(now)) this.decide(trace, "max_age");
      for (const kept of this.buffer.openKeptTooOld(now)) this.close(kept, undefined);
    } catch (error) {
      diag.error("telltale sampler: failed to decide traces", error);
    }
    const next = this.buffer.nextDeadline();
    if (next !== Infinity) this.scheduleDecisionTimer(next);
  }
}
