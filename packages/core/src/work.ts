/** The spans of work under a workflow (`step`, `tool`, `spawn`): start, end, late (F11) and orphan (F12) marks. */
import { SpanKind, trace, type Attributes, type Context, type Span, type SpanContext } from "@opentelemetry/api";
import { ATTR_TELLTALE_LATE, ATTR_TELLTALE_LATE_BY_MS, ATTR_TELLTALE_ORPHAN } from "./attributes.js";
import { contextWithCoreSpan } from "./bound-context.js";
import { deadlineRemainingMs, markDeadlineAtEnd, markDeadlineAtStart } from "./deadline.js";
import { markKeep, recordError } from "./keep.js";
import { record } from "./metrics.js";
import { classifyInScope, NEVER_ABORTED, recordDuration, tracer, type RunContext } from "./run.js";
import { coreState, workflowScopeOf, type CoreSpanEntry, type WorkflowScope } from "./state.js";
import { callAt, type LongTimer } from "./timers.js";

export interface StartedWork extends CoreSpanEntry {
  readonly ctx: Context;
  readonly run: RunContext;
  readonly span: Span;
  readonly scope: WorkflowScope | undefined;
  /** The core span the work was started under: if it ends first, this work's result is late. */
  readonly origin: CoreSpanEntry | undefined;
  readonly startedAt: number;
  /** Counted in `scope.pending` (started while its workflow ran). */
  readonly counted: boolean;
  /** The tool's own timeout, armed when its signal is first read. */
  timeout: LongTimer | undefined;
}

/** The reason `AbortSignal.timeout` aborts with, for a tool's own timeout. */
function timeoutReason(): DOMException {
  return new DOMException("The operation was aborted due to timeout", "TimeoutError");
}

/** The signal of work with its own timeout: aborts when the timeout or the workflow's deadline passes. Any length
 * works (timers.ts), unlike `AbortSignal.timeout`, which throws on one that is not finite. */
function timeoutSignal(work: StartedWork, timeoutMs: number, outer: AbortSignal | undefined): AbortSignal {
  const controller = new AbortController();
  work.timeout = callAt(Date.now() + timeoutMs, () => controller.abort(timeoutReason()), false);
  return outer === undefined ? controller.signal : AbortSignal.any([outer, controller.signal]);
}

/** Starts the span of a unit of work under `parent`; counted as pending on its workflow until it ends. */
export function startWork(spanName: string, attributes: Attributes, parent: Context, timeoutMs?: number): StartedWork {
  const state = coreState();
  const scope = workflowScopeOf(parent);
  const origin = parent.getValue(state.coreSpanKey) as CoreSpanEntry | undefined;
  const span = tracer().startSpan(spanName, { kind: SpanKind.INTERNAL, attributes }, parent);
  if (scope === undefined) {
    span.setAttribute(ATTR_TELLTALE_ORPHAN, true);
    markKeep(span, "orphan");
  }
  const counted = scope !== undefined && !scope.ended;
  if (counted) scope.pending += 1;
  markDeadlineAtStart(span, parent);
  return new UnitOfWork(span, scope, origin, counted, parent, timeoutMs, state.coreSpanKey);
}

/** Classes, not object literals: a literal with a getter (the run's signal) is built by the runtime, not cloned from
 * a boilerplate, and costs some 20 times as much. */
class UnitOfWork implements StartedWork {
  readonly ctx: Context;
  readonly run: RunContext;
  readonly startedAt = performance.now();
  endedAt: number | undefined = undefined;
  timeout: LongTimer | undefined = undefined;

  constructor(
    readonly span: Span,
    readonly scope: WorkflowScope | undefined,
    readonly origin: CoreSpanEntry | undefined,
    readonly counted: boolean,
    parent: Context,
    timeoutMs: number | undefined,
    coreSpanKey: symbol,
  ) {
    this.ctx = contextWithCoreSpan(parent, this, coreSpanKey);
    this.run = new WorkRun(this, parent, timeoutMs);
  }
}

/** A span core started that has no other object of core's to carry its end time (a retry span). */
export class TrackedSpan implements CoreSpanEntry {
  endedAt: number | undefined = undefined;

  constructor(readonly span: Span) {}
}

class WorkRun implements RunContext {
  readonly span: Span;
  /** A function property, not a method: callers may take it off the object. */
  readonly remainingMs: () => number | undefined;
  private resolvedSignal: AbortSignal | undefined;

  constructor(
    private readonly work: StartedWork,
    parent: Context,
    private readonly timeoutMs: number | undefined,
  ) {
    this.span = work.span;
    this.remainingMs = () => deadlineRemainingMs(parent);
  }

  // Created on first use: most work never looks at its signal.
  get signal(): AbortSignal {
    if (this.resolvedSignal === undefined) {
      const outer = this.work.scope?.signal;
      this.resolvedSignal = this.timeoutMs === undefined ? (outer ?? NEVER_ABORTED) : timeoutSignal(this.work, this.timeoutMs, outer);
    }
    return this.resolvedSignal;
  }
}

/** Work whose result arrived `lateByMs` after its caller had ended or given up on it (F11): `telltale.late`, how
 * late, a link to the caller's span, keep, and the late-results counter. */
export function markLateResult(span: Span, lateByMs: number, caller?: SpanContext): void {
  span.setAttribute(ATTR_TELLTALE_LATE, true);
  span.setAttribute(ATTR_TELLTALE_LATE_BY_MS, Math.max(0, Math.round(lateByMs)));
  if (caller !== undefined && trace.isSpanContextValid(caller)) span.addLink({ context: caller });
  markKeep(span, "late");
  record("lateResults", 1, {});
}

/** Late detection (F11): the span ends after the core span it was started under had ended. */
function markLate(work: StartedWork, now: number): void {
  const origin = work.origin;
  // Undefined while the origin runs (and on a span an older copy of core put in the context).
  const originEnd = origin?.endedAt;
  if (origin === undefined || originEnd === undefined || now <= originEnd) return;
  markLateResult(work.span, now - originEnd, origin.span.spanContext());
}

/** Ends a span core created and remembers when, so that children ending later are found late (F11). */
export function endTracked(entry: CoreSpanEntry, now: number = Date.now()): void {
  entry.endedAt = now;
  entry.span.end();
}

/** Ends a unit of work: error, deadline and late marks, the duration metric when asked, the span. */
export function endWork(work: StartedWork, error: unknown, failed: boolean, metricAttributes: Attributes | undefined): void {
  if (work.counted && work.scope !== undefined) work.scope.pending -= 1;
  work.timeout?.cancel();
  const now = Date.now();
  let errorType: string | undefined;
  if (failed) errorType = recordError(work.span, error, classifyInScope(error, work.scope)).errorType;
  markDeadlineAtEnd(work.span, work.ctx);
  markLate(work, now);
  if (metricAttributes !== undefined) recordDuration(work.startedAt, metricAttributes, errorType);
  endTracked(work, now);
}
