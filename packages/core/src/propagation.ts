import { context, propagation, trace, TraceFlags, type Context } from "@opentelemetry/api";
import { BUDGET_SCHEMA } from "./budget.js";
import { DeadlineExceededError } from "./errors.js";
import { carriedKeys, restoreKeys } from "./idempotency.js";
import { reportIgnored, rules, defineSchema } from "./options.js";
import { safely } from "./safe.js";
import { coreState, workflowScopeOf, type BudgetOptions, type TraceState, type WorkflowScope } from "./state.js";
import { callAt, type LongTimer } from "./timers.js";
import { releaseTraceState, traceStateFor } from "./trace-state.js";

/** The fields `inject` writes into a job payload (all strings, so the carrier survives any JSON round trip). */
export interface TraceCarrier {
  /** W3C Trace Context. */
  traceparent?: string;
  tracestate?: string;
  /** The workflow's identity: name, deadline, budget, the totals used so far and its recent side-effect keys (JSON). */
  "telltale-workflow"?: string;
  [key: string]: unknown;
}

/** The W3C `traceparent` header name and the key core writes the workflow identity under. */
const TRACEPARENT = "traceparent";
const TRACESTATE = "tracestate";
const WORKFLOW_FIELD = "telltale-workflow";

interface CarriedWorkflow {
  name: string;
  deadlineAt?: number;
  budget?: BudgetOptions;
  tokensUsed?: number;
  costUsd?: number;
  /** Side effects that already ran in the trace (idempotency.ts), so a consumer repeating one is a duplicate. */
  sideEffects?: string[];
}

// What a carrier may say, checked like any option: a malformed field is reported and ignored, the rest applies.
const CARRIED_SCHEMA = defineSchema<CarriedWorkflow>({
  name: rules.string,
  deadlineAt: rules.milliseconds,
  budget: rules.object(BUDGET_SCHEMA),
  tokensUsed: rules.amount,
  costUsd: rules.amount,
  sideEffects: rules.strings,
});

const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * Writes the active trace context (W3C `traceparent` / `tracestate`, plus whatever the registered global
 * propagator writes, e.g. baggage) and the workflow's budget/deadline identity into `carrier`, a plain object to
 * put into a job payload (F14). Returns the carrier. Never throws.
 */
export function inject<C extends Record<string, unknown>>(carrier: C = {} as C, ctx: Context = context.active()): C & TraceCarrier {
  safely("inject", () => {
    const textCarrier = carrier as Record<string, unknown>;
    propagation.inject(ctx, textCarrier);
    const spanContext = trace.getSpanContext(ctx);
    if (spanContext !== undefined && trace.isSpanContextValid(spanContext) && textCarrier[TRACEPARENT] === undefined) {
      const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, "0");
      textCarrier[TRACEPARENT] = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
      const traceState = spanContext.traceState?.serialize();
      if (traceState) textCarrier[TRACESTATE] = traceState;
    }
    const scope = workflowScopeOf(ctx);
    if (scope !== undefined) {
      const carried: CarriedWorkflow = { name: scope.name, tokensUsed: scope.trace.tokensUsed, costUsd: scope.trace.costUsd };
      if (scope.deadlineAt !== undefined) carried.deadlineAt = scope.deadlineAt;
      if (scope.budget !== undefined) carried.budget = { ...scope.budget };
      const sideEffects = carriedKeys(scope.trace);
      if (sideEffects !== undefined) carried.sideEffects = sideEffects;
      textCarrier[WORKFLOW_FIELD] = JSON.stringify(carried);
    }
  });
  return carrier as C & TraceCarrier;
}

function readCarried(carrier: Record<string, unknown>): Partial<CarriedWorkflow> | undefined {
  const raw = carrier[WORKFLOW_FIELD];
  if (raw === undefined) return undefined;
  const where = `extract (${WORKFLOW_FIELD})`;
  let parsed: unknown;
  try {
    parsed = typeof raw === "string" ? JSON.parse(raw) : undefined;
  } catch {
    parsed = undefined;
  }
  // Not one of ours: the job still joins the producer's trace, without a workflow's deadline or budget.
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    reportIgnored(where, WORKFLOW_FIELD, raw, "the JSON object inject() writes");
    return undefined;
  }
  return CARRIED_SCHEMA.read(where, parsed);
}

/** The trace's totals continue from what the producer carried, unless this process already counts them. */
function continueTotals(traceState: TraceState, carried: Partial<CarriedWorkflow>): void {
  if (traceState.activeWorkflows === 0 && traceState.tokensUsed === 0 && traceState.costUsd === 0) {
    traceState.tokensUsed = carried.tokensUsed ?? 0;
    traceState.costUsd = carried.costUsd ?? 0;
    // The producer already marked the crossing, if there was one.
    const budget = carried.budget;
    traceState.exceeded =
      budget !== undefined &&
      ((budget.tokens !== undefined && traceState.tokensUsed > budget.tokens) ||
        (budget.costUsd !== undefined && traceState.costUsd > budget.costUsd));
  }
  if (carried.sideEffects !== undefined) restoreKeys(traceState, carried.sideEffects);
}

interface Extracted {
  ctx: Context;
  release: () => void;
}

function extractContext(carrier: Record<string, unknown>): Extracted {
  const state = coreState();
  // The consumer's own surrounding work is not the job's origin: drop core's values before restoring the job's.
  let ctx = propagation.extract(context.active().deleteValue(state.workflowKey).deleteValue(state.coreSpanKey), carrier);
  const current = trace.getSpanContext(ctx);
  const header = carrier[TRACEPARENT];
  if (typeof header === "string") {
    const match = TRACEPARENT_PATTERN.exec(header.trim().toLowerCase());
    if (match && (current === undefined || current.traceId !== match[1] || !current.isRemote)) {
      ctx = trace.setSpanContext(ctx, {
        traceId: match[1]!,
        spanId: match[2]!,
        traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
        isRemote: true,
      });
    }
  }
  const spanContext = trace.getSpanContext(ctx);
  const carried = readCarried(carrier);
  if (carried === undefined || spanContext === undefined || !trace.isSpanContextValid(spanContext)) {
    return { ctx, release: () => undefined };
  }

  // Same process and the producer's workflow still running (or a redelivery of a job whose first run ended here):
  // the trace state is shared, totals and side effects continue as one.
  const traceState = traceStateFor(spanContext.traceId);
  continueTotals(traceState, carried);
  traceState.activeWorkflows += 1;
  const controller = new AbortController();
  const scope: WorkflowScope = {
    name: carried.name ?? "",
    traceId: spanContext.traceId,
    span: undefined,
    expectedSteps: new Set(),
    completedSteps: new Set(),
    undeclaredSteps: new Set(),
    budget: carried.budget,
    deadlineAt: carried.deadlineAt,
    signal: controller.signal,
    trace: traceState,
    ended: false,
    deadlineExceeded: false,
    pending: 0,
  };
  const deadlineAt = carried.deadlineAt;
  let timer: LongTimer | undefined;
  if (deadlineAt !== undefined) {
    timer = callAt(
      deadlineAt,
      () => {
        scope.deadlineExceeded = true;
        controller.abort(new DeadlineExceededError(Math.max(0, deadlineAt - Date.now())));
      },
      false,
    );
  }
  return {
    ctx: ctx.setValue(state.workflowKey, scope),
    release: () => {
      timer?.cancel();
      scope.ended = true;
      releaseTraceState(traceState);
    },
  };
}

/**
 * Runs `fn` in the trace context carried by `carrier` (written by {@link inject}): spans started inside join the
 * producer's trace, and the workflow's deadline and budget apply (F14). Returns (or rejects with) exactly what
 * `fn` returns (or throws). Never throws because of a malformed carrier: `fn` then runs in the active context.
 */
export async function extract<T>(carrier: Record<string, unknown> | undefined, fn: () => T | PromiseLike<T>): Promise<T> {
  const extracted = safely(
    "extract",
    () => (carrier === undefined || carrier === null ? undefined : extractContext(carrier)),
    undefined,
  );
  if (extracted === undefined) return fn();
  try {
    return await context.with(extracted.ctx, fn);
  } finally {
    safely("extract release", extracted.release);
  }
}
