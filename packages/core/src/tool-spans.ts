/**
 * What an instrumentation of a tool protocol (MCP) needs from core to give its tool calls the same signals as
 * `tool()`: the `execute_tool` span a call may already run in (one span per tool call), the idempotency checks of
 * side-effecting tools (F8), soft errors (F5), late results (F11), and the deadline (F10) and budget of the context
 * a call runs in (carried across processes by `inject`/`extract`).
 */
import { trace, type Attributes, type Context, type Span, type SpanContext } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_SIDE_EFFECT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  type SoftErrorKind,
} from "./attributes.js";
import { deadlineRemainingMs } from "./deadline.js";
import type { ErrorClassification } from "./errors.js";
import { markKeep } from "./keep.js";
import { record } from "./metrics.js";
import { coreState, traceStateFor, workflowScopeOf } from "./state.js";

export { writeBudgetTotals } from "./budget.js";
export { deadlineRemainingMs, markDeadlineAtEnd, markDeadlineAtStart } from "./deadline.js";

/** The `execute_tool` span a call runs directly in. */
export interface EnclosingToolSpan {
  readonly span: Span;
  /** Its `gen_ai.tool.name`, when it has one. */
  readonly toolName: string | undefined;
  /** Whether core's `tool()` made it (rather than another instrumentation). */
  readonly core: boolean;
  /** The attributes it carries so far (read-only). */
  readonly attributes: Readonly<Attributes>;
}

/**
 * The active span of `ctx` when it is a recording `execute_tool` span (`gen_ai.operation.name=execute_tool`, GenAI
 * conventions): core's `tool()` span or another instrumentation's. An instrumentation that sees the same tool call
 * adds its attributes there instead of nesting a duplicate span. Undefined otherwise (and for spans whose attributes
 * cannot be read, such as non-recording ones).
 */
export function enclosingToolSpan(ctx: Context): EnclosingToolSpan | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined || !span.isRecording()) return undefined;
  // The SDK's spans are ReadableSpans: their attributes can be read while they are open.
  const attributes = (span as unknown as { attributes?: unknown }).attributes;
  if (typeof attributes !== "object" || attributes === null) return undefined;
  const readable = attributes as Readonly<Attributes>;
  if (readable[ATTR_GEN_AI_OPERATION_NAME] !== GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL) return undefined;
  const toolName = readable[ATTR_GEN_AI_TOOL_NAME];
  return {
    span,
    toolName: typeof toolName === "string" ? toolName : undefined,
    core: ctx.getValue(coreState().coreSpanKey) === span,
    attributes: readable,
  };
}

/** How a side-effecting tool call identifies itself (F8). */
export interface SideEffectCall {
  sideEffect?: boolean;
  idempotencyKey?: string;
}

const MAX_IDEMPOTENCY_KEYS_PER_TRACE = 10_000;

/**
 * The idempotency checks of a side-effecting tool call (F8), as core's `tool()` runs them: `telltale.side_effect`,
 * the key or `telltale.idempotency.missing`, and `telltale.duplicate` when the same tool ran with the same key
 * before in the same trace. Run once per call (a second check of the same call would find its own key).
 */
export function checkIdempotency(span: Span, toolName: string, call: SideEffectCall, ctx: Context): void {
  if (!call.sideEffect) return;
  span.setAttribute(ATTR_TELLTALE_SIDE_EFFECT, true);
  const key = call.idempotencyKey;
  if (key === undefined || key === "") {
    span.setAttribute(ATTR_TELLTALE_IDEMPOTENCY_MISSING, true);
    markKeep(span, "idempotency_missing");
    return;
  }
  span.setAttribute(ATTR_TELLTALE_IDEMPOTENCY_KEY, key);
  const spanContext = span.spanContext();
  const scope = workflowScopeOf(ctx);
  const traceState = scope?.trace ?? (trace.isSpanContextValid(spanContext) ? traceStateFor(spanContext.traceId) : undefined);
  if (traceState === undefined) return;
  const seenKey = `${toolName}\u0000${key}`;
  if (traceState.idempotencyKeys.has(seenKey)) {
    span.setAttribute(ATTR_TELLTALE_DUPLICATE, true);
    markKeep(span, "duplicate");
  } else if (traceState.idempotencyKeys.size < MAX_IDEMPOTENCY_KEYS_PER_TRACE) {
    traceState.idempotencyKeys.add(seenKey);
  }
}

/** Whether `ctx` runs in a workflow (its own, or one carried from another process by `extract`). */
export function inWorkflow(ctx: Context): boolean {
  return workflowScopeOf(ctx) !== undefined;
}

/** An abort or timeout that happened once the workflow deadline of `ctx` had passed is `deadline_exceeded` (F10). */
export function againstDeadline<T extends ErrorClassification>(found: T, ctx: Context): T {
  if (found.errorClass !== "aborted" && found.errorClass !== "timeout") return found;
  const remaining = deadlineRemainingMs(ctx);
  if (remaining === undefined || remaining > 0) return found;
  return { ...found, errorClass: "deadline_exceeded", recoverable: false };
}

/** A tool result that failed without raising (F5): `telltale.soft_error` (and its detail), keep, and the soft-error
 * counter, as core's `tool()` records it. */
export function markToolSoftError(span: Span, kind: SoftErrorKind, detail?: string): void {
  span.setAttribute(ATTR_TELLTALE_SOFT_ERROR, kind);
  if (detail !== undefined && detail !== "") span.setAttribute(ATTR_TELLTALE_SOFT_ERROR_DETAIL, detail);
  markKeep(span, "soft_error");
  record("softErrors", 1, { [ATTR_TELLTALE_SOFT_ERROR]: kind, [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL });
}

/** Work whose result arrived `lateByMs` after its caller had given up on it (F11): `telltale.late`, how late, a link to
 * the caller's span, keep, and the late-results counter. */
export function markLateResult(span: Span, lateByMs: number, caller?: SpanContext): void {
  span.setAttribute(ATTR_TELLTALE_LATE, true);
  span.setAttribute(ATTR_TELLTALE_LATE_BY_MS, Math.max(0, Math.round(lateByMs)));
  if (caller !== undefined && trace.isSpanContextValid(caller)) span.addLink({ context: caller });
  markKeep(span, "late");
  record("lateResults", 1, {});
}
