/**
 * The workflow deadline as it applies to one span (F10): the time left when it starts, whether it ended past the
 * deadline, whether its own timeout outlasts the time left, and whether an abort or timeout it failed with was the
 * deadline's doing. `workflow`, `step`, `tool`, LLM calls and the MCP instrumentation all judge by these.
 */
import type { Context, Span } from "@opentelemetry/api";
import {
  ATTR_TELLTALE_DEADLINE_EXCEEDED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
} from "./attributes.js";
import type { ErrorClassification } from "./errors.js";
import { markKeep } from "./keep.js";
import { workflowScopeOf, type WorkflowScope } from "./state.js";

/** Milliseconds left before the workflow deadline in `ctx` at `now` (negative once passed), or undefined without one. */
export function deadlineRemainingMs(ctx: Context, now: number = Date.now()): number | undefined {
  const deadlineAt = workflowScopeOf(ctx)?.deadlineAt;
  return deadlineAt === undefined ? undefined : deadlineAt - now;
}

/** `telltale.deadline.exceeded` on `span`, and the keep mark it earns. */
export function markDeadlineExceeded(span: Span): void {
  span.setAttribute(ATTR_TELLTALE_DEADLINE_EXCEEDED, true);
  markKeep(span, "deadline_exceeded");
}

/** Records the time left at the start of `span` (F10); a span that starts after the deadline is marked exceeded. */
export function markDeadlineAtStart(span: Span, ctx: Context): number | undefined {
  const remaining = deadlineRemainingMs(ctx);
  if (remaining === undefined) return undefined;
  span.setAttribute(ATTR_TELLTALE_DEADLINE_REMAINING_MS, Math.max(0, Math.round(remaining)));
  if (remaining <= 0) markDeadlineExceeded(span);
  return remaining;
}

/** Marks `span` `telltale.deadline.exceeded` when it ends (now, or at `endedAt`, epoch ms) after the workflow deadline. */
export function markDeadlineAtEnd(span: Span, ctx: Context, endedAt?: number): void {
  const remaining = deadlineRemainingMs(ctx, endedAt);
  if (remaining !== undefined && remaining < 0) markDeadlineExceeded(span);
}

/**
 * A tool call's own timeout (F10): `telltale.tool.timeout_ms`, and `telltale.deadline.timeout_exceeds_remaining`
 * (kept) when it is longer than the time left before the workflow deadline of `ctx`: the deadline will cut the call
 * short first, whatever the timeout says.
 */
export function checkToolTimeout(span: Span, timeoutMs: number, ctx: Context): void {
  span.setAttribute(ATTR_TELLTALE_TOOL_TIMEOUT_MS, timeoutMs);
  const remaining = deadlineRemainingMs(ctx);
  if (remaining === undefined || timeoutMs <= remaining) return;
  span.setAttribute(ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING, true);
  markKeep(span, "deadline_exceeded");
}

/** Whether the deadline of `scope` has passed (its timer fired, or its time is up). */
function deadlinePassed(scope: WorkflowScope): boolean {
  return scope.deadlineExceeded || (scope.deadlineAt !== undefined && Date.now() >= scope.deadlineAt);
}

/**
 * An abort or timeout that happened once the workflow deadline of `scope` had passed was the deadline's doing:
 * `deadline_exceeded`, not recoverable. Every other classification is returned as it is.
 */
export function classifyAgainstDeadline<T extends ErrorClassification>(found: T, scope: WorkflowScope | undefined): T {
  if (found.errorClass !== "aborted" && found.errorClass !== "timeout") return found;
  if (scope === undefined || !deadlinePassed(scope)) return found;
  return { ...found, errorClass: "deadline_exceeded", recoverable: false };
}
