import { context, trace, type Context, type Span } from "@opentelemetry/api";
import {
  ATTR_TELLTALE_BUDGET_COST_USD_LIMIT,
  ATTR_TELLTALE_BUDGET_COST_USD_USED,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  EVENT_TELLTALE_BUDGET_EXCEEDED,
} from "./attributes.js";
import { BudgetExceededError } from "./errors.js";
import { markKeep } from "./keep.js";
import { record } from "./metrics.js";
import { rules, defineSchema } from "./options.js";
import { reportFailure } from "./safe.js";
import { coreState, workflowScopeOf, type BudgetOptions, type TraceState } from "./state.js";
import { traceStateFor } from "./trace-state.js";

/** What a budget accepts, wherever one is given (a workflow, the default budget, a job carrier). */
export const BUDGET_SCHEMA = defineSchema<BudgetOptions>({
  tokens: rules.limit,
  costUsd: rules.limit,
  mode: rules.oneOf(["observe", "enforce"]),
});

/**
 * Sets the budget every top-level workflow without its own `budget` runs under (e.g. from `TELLTALE_BUDGET_TOKENS`
 * in @telltale/node); `undefined` removes it. Invalid fields are reported and ignored, like a workflow's.
 */
export function setDefaultBudget(budget: BudgetOptions | undefined): void {
  const valid = budget === undefined ? undefined : BUDGET_SCHEMA.read("setDefaultBudget", budget);
  coreState().defaultBudget = valid === undefined ? undefined : { ...valid };
}

/** The running totals a budget is checked against. */
type BudgetTotals = Pick<TraceState, "tokensUsed" | "costUsd" | "exceeded">;

/**
 * The running totals of the trace `ctx` belongs to, and the budget that applies (from the nearest workflow). A call
 * that is its own trace root has no running totals (its own usage is the trace's) and does not come here.
 */
function budgetTarget(ctx: Context): { trace: BudgetTotals; budget: Readonly<BudgetOptions> | undefined } | undefined {
  const scope = workflowScopeOf(ctx);
  if (scope !== undefined) return { trace: scope.trace, budget: scope.budget };
  const spanContext = trace.getSpanContext(ctx);
  if (spanContext === undefined || !trace.isSpanContextValid(spanContext)) return undefined;
  return { trace: traceStateFor(spanContext.traceId), budget: undefined };
}

function overLimit(trace: BudgetTotals, budget: Readonly<BudgetOptions>, inclusive: boolean): BudgetExceededError | undefined {
  const beyond = (used: number, limit: number | undefined): boolean =>
    limit !== undefined && (inclusive ? used >= limit : used > limit);
  if (beyond(trace.tokensUsed, budget.tokens)) return new BudgetExceededError("tokens", budget.tokens ?? 0, trace.tokensUsed);
  if (beyond(trace.costUsd, budget.costUsd)) return new BudgetExceededError("cost_usd", budget.costUsd ?? 0, trace.costUsd);
  return undefined;
}

/**
 * In `enforce` mode, the error to throw instead of starting another LLM call once the trace's budget is used up
 * (used ≥ limit); undefined otherwise (no budget, `observe` mode, or budget left). Never throws.
 */
export function budgetCheck(ctx: Context = context.active()): BudgetExceededError | undefined {
  try {
    // Only a workflow carries a budget: outside one there is nothing to enforce, and no trace state to look up.
    const scope = workflowScopeOf(ctx);
    if (scope?.budget === undefined || scope.budget.mode !== "enforce") return undefined;
    return overLimit(scope.trace, scope.budget, true);
  } catch (failure) {
    reportFailure("budgetCheck", failure);
    return undefined;
  }
}

/**
 * Writes the running totals of `ctx`'s trace on `span`, and the budget's limits when `withLimits`. The limits belong
 * where the budget is declared (the workflow span, which gets them when it starts), where it was crossed (see
 * {@link addUsage}) and on a span that stands for the workflow in a process of its own (the server side of a call
 * that carried the workflow over). An LLM call carries the totals only: repeating the limits on every call adds
 * nothing a reader needs, and pushes a call's span past the attribute count at which V8 stops keeping the span's
 * attribute object in its fast form, which every later write and read of the span pays for.
 */
export function writeBudgetTotals(span: Span, ctx: Context, withLimits = false): void {
  const target = budgetTarget(ctx);
  if (target === undefined) return;
  span.setAttribute(ATTR_TELLTALE_BUDGET_TOKENS_USED, target.trace.tokensUsed);
  span.setAttribute(ATTR_TELLTALE_BUDGET_COST_USD_USED, target.trace.costUsd);
  if (withLimits && target.budget !== undefined) writeBudgetLimits(span, target.budget);
}

function writeBudgetLimits(span: Span, budget: Readonly<BudgetOptions>): void {
  if (budget.tokens !== undefined) span.setAttribute(ATTR_TELLTALE_BUDGET_TOKENS_LIMIT, budget.tokens);
  if (budget.costUsd !== undefined) span.setAttribute(ATTR_TELLTALE_BUDGET_COST_USD_LIMIT, budget.costUsd);
}

/** Adds one LLM call's usage to its trace; where the total first crosses the limit, marks `span` and the workflow. */
export function addUsage(ctx: Context, span: Span, tokens: number, costUsd: number): void {
  const target = budgetTarget(ctx);
  if (target === undefined) return;
  target.trace.tokensUsed += tokens;
  target.trace.costUsd += costUsd;
  if (target.budget === undefined || target.trace.exceeded) return;
  const exceeded = overLimit(target.trace, target.budget, false);
  if (exceeded === undefined) return;
  target.trace.exceeded = true;
  span.setAttribute(ATTR_TELLTALE_BUDGET_EXCEEDED, true);
  writeBudgetLimits(span, target.budget);
  span.addEvent(EVENT_TELLTALE_BUDGET_EXCEEDED, {
    [exceeded.limitKind === "tokens" ? ATTR_TELLTALE_BUDGET_TOKENS_USED : ATTR_TELLTALE_BUDGET_COST_USD_USED]:
      exceeded.used,
    [exceeded.limitKind === "tokens" ? ATTR_TELLTALE_BUDGET_TOKENS_LIMIT : ATTR_TELLTALE_BUDGET_COST_USD_LIMIT]:
      exceeded.limit,
  });
  markKeep(span, "budget_exceeded");
  const workflowSpan = workflowScopeOf(ctx)?.span;
  if (workflowSpan !== undefined) {
    workflowSpan.setAttribute(ATTR_TELLTALE_BUDGET_EXCEEDED, true);
    markKeep(workflowSpan, "budget_exceeded");
  }
  record("budgetExceedances", 1, {});
}
