import type { Context, Span } from "@opentelemetry/api";
import { ATTR_TELLTALE_DEADLINE_EXCEEDED, ATTR_TELLTALE_DEADLINE_REMAINING_MS } from "./attributes.js";
import { markKeep } from "./keep.js";
import { workflowScopeOf } from "./state.js";

/** Milliseconds left before the workflow deadline in `ctx` (negative once passed), or undefined without one. */
export function deadlineRemainingMs(ctx: Context): number | undefined {
  const deadlineAt = workflowScopeOf(ctx)?.deadlineAt;
  return deadlineAt === undefined ? undefined : deadlineAt - Date.now();
}

function markExceeded(span: Span): void {
  span.setAttribute(ATTR_TELLTALE_DEADLINE_EXCEEDED, true);
  markKeep(span, "deadline_exceeded");
}

/** Records the time left at the start of `span` (F10); a span that starts after the deadline is marked exceeded. */
export function markDeadlineAtStart(span: Span, ctx: Context): number | undefined {
  const remaining = deadlineRemainingMs(ctx);
  if (remaining === undefined) return undefined;
  span.setAttribute(ATTR_TELLTALE_DEADLINE_REMAINING_MS, Math.max(0, Math.round(remaining)));
  if (remaining <= 0) markExceeded(span);
  return remaining;
}

/** Marks `span` `telltale.deadline.exceeded` when it ends after the workflow deadline. */
export function markDeadlineAtEnd(span: Span, ctx: Context): void {
  const remaining = deadlineRemainingMs(ctx);
  if (remaining !== undefined && remaining < 0) markExceeded(span);
}
