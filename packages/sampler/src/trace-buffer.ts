/**
 * The trace buffer: undecided traces (their spans in compact form, their extent, their byte estimate), the queue of
 * traces whose root has ended in deadline order, and the kept traces still open (kept early, root not ended yet).
 * It holds and measures; the processor decides.
 */
import { ExtentTracker } from "./evaluators.js";
import type { KeptTrace } from "./outcomes.js";
import { Lane } from "./lane.js";
import type { SpanRecord } from "./span-record.js";

/** An undecided trace. No span seen so far matched a span rule. */
export interface PendingTrace {
  readonly traceId: string;
  readonly spans: SpanRecord[];
  readonly extent: ExtentTracker;
  readonly firstSeenMs: number;
  root: SpanRecord | undefined;
  decideAtMs: number;
  decided: boolean;
  bytes: number;
}

export interface TraceBufferLimits {
  readonly decisionWaitMs: number;
  readonly maxTraceAgeMs: number;
  readonly maxTraces: number;
  readonly maxBufferBytes: number;
}

export class TraceBuffer {
  private readonly pending = new Map<string, PendingTrace>();
  /** Traces whose root ended, in deadline order (the grace period is constant, so push order is deadline order). */
  private readonly rootEnded = new Lane<PendingTrace>();
  private readonly openKept = new Map<string, KeptTrace>();
  private spanCount = 0;
  private byteCount = 0;

  constructor(private readonly limits: TraceBufferLimits) {}

  get traceCount(): number {
    return this.pending.size;
  }

  get spans(): number {
    return this.spanCount;
  }

  /** Estimated bytes of the buffered spans. */
  get bytes(): number {
    return this.byteCount;
  }

  get openKeptCount(): number {
    return this.openKept.size;
  }

  get(traceId: string): PendingTrace | undefined {
    return this.pending.get(traceId);
  }

  /** Buffers a new trace with its first span (`workflowName`: its `gen_ai.workflow.name` when the policy reads it). */
  open(traceId: string, record: SpanRecord, workflowName: string | undefined, isRoot: boolean, now: number): PendingTrace {
    const trace: PendingTrace = {
      traceId,
      spans: [],
      extent: new ExtentTracker(record, workflowName),
      firstSeenMs: now,
      root: undefined,
      decideAtMs: Infinity,
      decided: false,
      bytes: 0,
    };
    this.pending.set(traceId, trace);
    this.add(trace, record, workflowName, isRoot, now);
    return trace;
  }

  /** Adds a span to a buffered trace. The clock is read only when the span is the trace's root (`now`: a reading
   * the caller already has). */
  add(trace: PendingTrace, record: SpanRecord, workflowName: string | undefined, isRoot: boolean, now?: number): void {
    trace.spans.push(record);
    trace.bytes += record.bytes;
    this.spanCount++;
    this.byteCount += record.bytes;
    trace.extent.add(record, workflowName);
    if (isRoot && trace.root === undefined) {
      trace.root = record;
      trace.decideAtMs = (now ?? Date.now()) + this.limits.decisionWaitMs;
      this.rootEnded.push(trace);
    }
  }

  /** Takes a trace out to be decided. */
  remove(trace: PendingTrace): void {
    trace.decided = true;
    this.pending.delete(trace.traceId);
    this.spanCount -= trace.spans.length;
    this.byteCount -= trace.bytes;
  }

  /** True while the buffer holds more than its trace count or byte budget allow. */
  overBudget(): boolean {
    return this.pending.size > this.limits.maxTraces || this.byteCount > this.limits.maxBufferBytes;
  }

  oldest(): PendingTrace | undefined {
    return this.pending.values().next().value;
  }

  /** Every undecided trace, oldest first (a copy: deciding removes them). */
  all(): PendingTrace[] {
    return [...this.pending.values()];
  }

  /** Traces whose root ended and whose grace period is over at `now`, in deadline order. */
  rootEndedDue(now: number): PendingTrace[] {
    const due: PendingTrace[] = [];
    for (;;) {
      const trace = this.rootEnded.shift();
      if (trace === undefined) break;
      if (trace.decided) continue;
      if (trace.decideAtMs > now) {
        this.rootEnded.unshiftBack(trace);
        break;
      }
      due.push(trace);
    }
    return due;
  }

  /** Undecided traces first seen `maxTraceAgeMs` ago or earlier, oldest first. */
  tooOld(now: number): PendingTrace[] {
    const old: PendingTrace[] = [];
    // Map iteration is insertion order, i.e. first-seen order: stop at the first trace that is not too old.
    for (const trace of this.pending.values()) {
      if (trace.firstSeenMs + this.limits.maxTraceAgeMs > now) break;
      old.push(trace);
    }
    return old;
  }

  getOpenKept(traceId: string): KeptTrace | undefined {
    return this.openKept.get(traceId);
  }

  /** Tracks a kept trace until its root ends. Returns the oldest open trace if it must make room (the caller
   * closes it without its root). */
  addOpenKept(kept: KeptTrace): KeptTrace | undefined {
    let evicted: KeptTrace | undefined;
    if (this.openKept.size >= this.limits.maxTraces) {
      evicted = this.openKept.values().next().value;
      if (evicted !== undefined) this.openKept.delete(evicted.traceId);
    }
    this.openKept.set(kept.traceId, kept);
    return evicted;
  }

  deleteOpenKept(kept: KeptTrace): void {
    this.openKept.delete(kept.traceId);
  }

  /** Open kept traces first seen `maxTraceAgeMs` ago or earlier. */
  openKeptTooOld(now: number): KeptTrace[] {
    const old: KeptTrace[] = [];
    for (const kept of this.openKept.values()) {
      if (kept.firstSeenMs + this.limits.maxTraceAgeMs > now) break;
      old.push(kept);
    }
    return old;
  }

  allOpenKept(): KeptTrace[] {
    return [...this.openKept.values()];
  }

  /** The next moment a trace becomes due (Infinity: none). */
  nextDeadline(): number {
    let next = Infinity;
    const firstRootEnded = this.rootEnded.peek(isUndecided);
    if (firstRootEnded !== undefined) next = firstRootEnded.decideAtMs;
    const oldestPending = this.oldest();
    if (oldestPending !== undefined) next = Math.min(next, oldestPending.firstSeenMs + this.limits.maxTraceAgeMs);
    const oldestKept = this.openKept.values().next().value;
    if (oldestKept !== undefined) next = Math.min(next, oldestKept.firstSeenMs + this.limits.maxTraceAgeMs);
    return next;
  }
}

function isUndecided(trace: PendingTrace): boolean {
  return !trace.decided;
}
