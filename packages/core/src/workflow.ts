import {
  context,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_TELLTALE_BUDGET_COST_USD_LIMIT,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_MODE,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_DEADLINE_EXCEEDED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_SIDE_EFFECT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SPAWNED,
  ATTR_TELLTALE_STEP_NAME,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  ATTR_TELLTALE_UNHANDLED_REJECTION,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED,
  ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
  ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
  type SoftErrorKind,
  type WorkflowOutcome,
} from "./attributes.js";
import { writeBudgetTotals } from "./budget.js";
import { deadlineRemainingMs, markDeadlineAtEnd, markDeadlineAtStart } from "./deadline.js";
import { classifyError, DeadlineExceededError, type ErrorClassification } from "./errors.js";
import { markKeep, recordError } from "./keep.js";
import { record } from "./metrics.js";
import { safely } from "./safe.js";
import {
  coreState,
  releaseTraceState,
  traceStateFor,
  workflowScopeOf,
  type BudgetOptions,
  type TraceState,
  type WorkflowScope,
} from "./state.js";
import { SCOPE_NAME, VERSION } from "./version.js";

/** Options of {@link workflow}. */
export interface WorkflowOptions {
  /** The steps the workflow is expected to run; missing ones make the outcome `partial` (F6). */
  steps?: readonly string[];
  /** Token / cost limits over the whole trace (F9). */
  budget?: BudgetOptions;
  /** Wall-clock budget in milliseconds (F10): propagated through context, aborts `signal` when it passes. */
  deadlineMs?: number;
  /** Extra attributes for the workflow span. */
  attributes?: Attributes;
  /** `gen_ai.conversation.id`. */
  conversationId?: string;
}

/** What core hands to the function of a workflow, step, tool or spawned task. */
export interface RunContext {
  /** The span of this unit of work (add your own attributes to it). */
  readonly span: Span;
  /** Aborts when the workflow deadline passes (reason: `DeadlineExceededError`) or, for a tool with `timeoutMs`,
   * when its own timeout passes. Pass it to fetch / SDK calls. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the workflow deadline, or undefined without one. */
  remainingMs(): number | undefined;
}

/** Options of {@link step}. */
export interface StepOptions {
  attributes?: Attributes;
}

/** Options of {@link tool}. */
export interface ToolOptions {
  /** The tool writes, sends or charges something: it should carry an idempotency key (F8). */
  sideEffect?: boolean;
  /** Recorded, and checked for duplicates within the trace (same tool name and key). */
  idempotencyKey?: string;
  /** The tool's own timeout: flagged when longer than the time left before the deadline (F10); also aborts
   * `signal` when it passes. */
  timeoutMs?: number;
  /** `gen_ai.tool.call.id`, the model's id for this tool call. */
  callId?: string;
  /** `gen_ai.tool.type`: `function`, `extension`, `datastore`. */
  type?: string;
  attributes?: Attributes;
  /** Tells a failed result apart when the tool reports failure in its return value; by default a result with
   * `isError: true` (MCP `CallToolResult`) is a soft error `tool_is_error`. */
  isError?: (result: unknown) => boolean;
}

/** Options of {@link spawn}. */
export interface SpawnOptions {
  /** Re-reject the returned promise when the task fails, so an unhandled rejection surfaces as usual. Default
   * false: the failure is recorded on the span and the returned promise resolves. */
  rethrow?: boolean;
  attributes?: Attributes;
}

type WorkFn<T> = (run: RunContext) => T | PromiseLike<T>;

const NEVER_ABORTED = new AbortController().signal;
// Shared by every workflow that declares no steps; only ever read.
const NO_STEPS: ReadonlySet<string> = new Set();
const MAX_IDEMPOTENCY_KEYS_PER_TRACE = 10_000;

// Keyed on the global provider object: `trace.getTracer` looks the provider up and allocates a tracer on every call,
// and a provider registered later (after `trace.disable()`) is a new object, so it is still picked up.
let cachedTracer: { provider: TracerProvider; tracer: Tracer } | undefined;

function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (cachedTracer?.provider !== provider) cachedTracer = { provider, tracer: provider.getTracer(SCOPE_NAME, VERSION) };
  return cachedTracer.tracer;
}

/** The classification to record: an abort or timeout caused by the passed workflow deadline is `deadline_exceeded`. */
function classifyInScope(err: unknown, scope: WorkflowScope | undefined): ErrorClassification {
  const found = classifyError(err);
  if (scope?.deadlineExceeded && (found.errorClass === "aborted" || found.errorClass === "timeout")) {
    return { ...found, errorClass: "deadline_exceeded", recoverable: false };
  }
  return found;
}

function recordDuration(startedAt: number, attributes: Attributes, errorType: string | undefined): void {
  const measured = errorType === undefined ? attributes : { ...attributes, [ATTR_ERROR_TYPE]: errorType };
  record("operationDuration", (performance.now() - startedAt) / 1000, measured);
}

/** Runs `fn` in `ctx` and reports its outcome to `settle` (which must not throw); the result or error of `fn`
 * passes through unchanged. */
async function runIn<T>(ctx: Context, run: RunContext, fn: WorkFn<T>, settle: (error: unknown, failed: boolean, result?: T) => void): Promise<T> {
  let result: T;
  try {
    result = await context.with(ctx, () => fn(run));
  } catch (error) {
    settle(error, true);
    throw error;
  }
  settle(undefined, false, result);
  return result;
}

function fallbackRun(): RunContext {
  return { span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), signal: NEVER_ABORTED, remainingMs: () => undefined };
}

// ------------------------------------------------------------------------------------------------------------------
// workflow
// ------------------------------------------------------------------------------------------------------------------

/**
 * Runs `fn` as an agent workflow: an `invoke_agent {name}` span (the trace root, or a child of the active span)
 * that records the step manifest and outcome `ok | error | partial` (F6), the budget (F9) and the deadline (F10).
 * Returns (or rejects with) exactly what `fn` returns (or throws).
 */
export function workflow<T>(name: string, fn: WorkFn<T>): Promise<T>;
export function workflow<T>(name: string, options: WorkflowOptions, fn: WorkFn<T>): Promise<T>;
export function workflow<T>(name: string, optionsOrFn: WorkflowOptions | WorkFn<T>, maybeFn?: WorkFn<T>): Promise<T> {
  const [options, fn] = typeof optionsOrFn === "function" ? [{}, optionsOrFn] : [optionsOrFn, maybeFn as WorkFn<T>];
  const started = safely("workflow start", () => startWorkflow(name, options), undefined);
  if (started === undefined) return Promise.resolve().then(() => fn(fallbackRun()));
  return runIn(started.ctx, started.run, fn, (error, failed) =>
    safely("workflow end", () => endWorkflow(started, error, failed)),
  );
}

/** A workflow span under way, as {@link startWorkflow} started it. */
export interface StartedWorkflow {
  readonly ctx: Context;
  readonly run: RunContext;
  readonly span: Span;
  readonly scope: WorkflowScope;
  readonly startedAt: number;
  readonly timer: NodeJS.Timeout | undefined;
  readonly options: WorkflowOptions;
}

/** Starts a workflow span under `parent`; {@link endWorkflow} ends it. */
export function startWorkflow(name: string, options: WorkflowOptions, parent: Context = context.active()): StartedWorkflow {
  const outer = workflowScopeOf(parent);
  const attributes: Attributes = {
    ...options.attributes,
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
    [ATTR_GEN_AI_AGENT_NAME]: name,
  };
  if (options.conversationId !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = options.conversationId;
  const expectedSteps: ReadonlySet<string> = options.steps === undefined || options.steps.length === 0 ? NO_STEPS : new Set(options.steps);
  if (expectedSteps.size > 0) attributes[ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED] = [...expectedSteps];
  const budget = options.budget ?? outer?.budget ?? coreState().defaultBudget;
  if (budget !== undefined) {
    attributes[ATTR_TELLTALE_BUDGET_MODE] = budget.mode ?? "observe";
    if (budget.tokens !== undefined) attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT] = budget.tokens;
    if (budget.costUsd !== undefined) attributes[ATTR_TELLTALE_BUDGET_COST_USD_LIMIT] = budget.costUsd;
  }
  const span = tracer().startSpan(`invoke_agent ${name}`, { kind: SpanKind.INTERNAL, attributes }, parent);
  const traceId = span.spanContext().traceId;

  // A nested workflow never extends the deadline of the one it runs in.
  const now = Date.now();
  const ownDeadline = options.deadlineMs !== undefined ? now + options.deadlineMs : undefined;
  const deadlineAt =
    ownDeadline === undefined ? outer?.deadlineAt : outer?.deadlineAt === undefined ? ownDeadline : Math.min(ownDeadline, outer.deadlineAt);
  const controller = new AbortController();
  const signal = outer === undefined ? controller.signal : AbortSignal.any([controller.signal, outer.signal]);

  const traceState: TraceState = outer?.traceId === traceId ? outer.trace : traceStateFor(traceId);
  traceState.activeWorkflows += 1;
  const scope: WorkflowScope = {
    name,
    traceId,
    span,
    expectedSteps,
    completedSteps: new Set(),
    undeclaredSteps: new Set(),
    budget,
    deadlineAt,
    signal,
    trace: traceState,
    ended: false,
    deadlineExceeded: false,
  };

  let timer: NodeJS.Timeout | undefined;
  if (deadlineAt !== undefined) {
    const remaining = deadlineAt - now;
    span.setAttribute(ATTR_TELLTALE_DEADLINE_REMAINING_MS, Math.max(0, remaining));
    timer = setTimeout(() => {
      safely("workflow deadline", () => {
        scope.deadlineExceeded = true;
        span.setAttribute(ATTR_TELLTALE_DEADLINE_EXCEEDED, true);
        markKeep(span, "deadline_exceeded");
        controller.abort(new DeadlineExceededError(options.deadlineMs ?? remaining));
      });
    }, Math.max(0, remaining));
    // The deadline must never keep the process alive on its own.
    timer.unref();
  }

  const state = coreState();
  const ctx = trace.setSpan(parent, span).setValue(state.workflowKey, scope).setValue(state.coreSpanKey, span);
  const run: RunContext = { span, signal, remainingMs: () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now()) };
  return { ctx, run, span, scope, startedAt: performance.now(), timer, options };
}

/** Ends a workflow span. `outcome` replaces `ok`/`partial` when the workflow knows better (it paused, or stopped
 * short without an error); a failure is always `error`. */
export function endWorkflow(started: StartedWorkflow, error: unknown, failed: boolean, outcome?: "partial" | "interrupted"): void {
  const { span, scope, ctx } = started;
  if (started.timer !== undefined) clearTimeout(started.timer);
  scope.ended = true;
  const expected = [...scope.expectedSteps];
  const completed = expected.filter((step) => scope.completedSteps.has(step));
  const missing = expected.filter((step) => !scope.completedSteps.has(step));
  if (expected.length > 0) {
    span.setAttribute(ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED, completed);
    span.setAttribute(ATTR_TELLTALE_WORKFLOW_STEPS_MISSING, missing);
  }
  if (scope.undeclaredSteps.size > 0) span.setAttribute(ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED, [...scope.undeclaredSteps]);
  const ended: WorkflowOutcome = failed ? "error" : (outcome ?? (missing.length > 0 ? "partial" : "ok"));
  span.setAttribute(ATTR_TELLTALE_WORKFLOW_OUTCOME, ended);
  if (ended === "partial") markKeep(span, "partial");
  let errorType: string | undefined;
  if (failed) errorType = recordError(span, error, classifyInScope(error, scope)).errorType;
  if (scope.budget !== undefined || scope.trace.tokensUsed > 0) writeBudgetTotals(span, ctx);
  if (scope.trace.exceeded && scope.budget !== undefined) {
    span.setAttribute(ATTR_TELLTALE_BUDGET_EXCEEDED, true);
    markKeep(span, "budget_exceeded");
  }
  if (scope.deadlineAt !== undefined && Date.now() > scope.deadlineAt) {
    scope.deadlineExceeded = true;
    span.setAttribute(ATTR_TELLTALE_DEADLINE_EXCEEDED, true);
    markKeep(span, "deadline_exceeded");
  }
  recordDuration(
    started.startedAt,
    { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT, [ATTR_GEN_AI_AGENT_NAME]: scope.name },
    errorType,
  );
  releaseTraceState(scope.traceId, scope.trace);
  endTracked(span);
}

// ------------------------------------------------------------------------------------------------------------------
// Child work: step, tool, spawn
// ------------------------------------------------------------------------------------------------------------------

/** Ends a span core created and remembers when, so that children ending later are found late (F11). */
function endTracked(span: Span): void {
  coreState().spanEnds.set(span, Date.now());
  span.end();
}

/** A step, tool or spawned task's span under way. */
export interface StartedChild {
  readonly ctx: Context;
  readonly run: RunContext;
  readonly span: Span;
  readonly scope: WorkflowScope | undefined;
  readonly origin: Span | undefined;
  readonly startedAt: number;
}

function startChild(spanName: string, attributes: Attributes, parent: Context, signal?: () => AbortSignal): StartedChild {
  const state = coreState();
  const scope = workflowScopeOf(parent);
  const origin = parent.getValue(state.coreSpanKey) as Span | undefined;
  const span = tracer().startSpan(spanName, { kind: SpanKind.INTERNAL, attributes }, parent);
  if (scope === undefined) {
    span.setAttribute(ATTR_TELLTALE_ORPHAN, true);
    markKeep(span, "orphan");
  }
  markDeadlineAtStart(span, parent);
  const ctx = trace.setSpan(parent, span).setValue(state.coreSpanKey, span);
  let resolvedSignal: AbortSignal | undefined;
  const run: RunContext = {
    span,
    // Created on first use: most work never looks at its signal.
    get signal() {
      resolvedSignal ??= signal?.() ?? scope?.signal ?? NEVER_ABORTED;
      return resolvedSignal;
    },
    remainingMs: () => deadlineRemainingMs(parent),
  };
  return { ctx, run, span, scope, origin, startedAt: performance.now() };
}

/** Late detection (F11): the span ends after the core span it was started under had ended. */
function markLate(child: StartedChild, now: number): void {
  if (child.origin === undefined) return;
  const originEnd = coreState().spanEnds.get(child.origin);
  if (originEnd === undefined || now <= originEnd) return;
  child.span.setAttribute(ATTR_TELLTALE_LATE, true);
  child.span.setAttribute(ATTR_TELLTALE_LATE_BY_MS, now - originEnd);
  child.span.addLink({ context: child.origin.spanContext() });
  markKeep(child.span, "late");
  record("lateResults", 1, {});
}

function endChild(child: StartedChild, error: unknown, failed: boolean, metricAttributes: Attributes | undefined): void {
  const now = Date.now();
  let errorType: string | undefined;
  if (failed) errorType = recordError(child.span, error, classifyInScope(error, child.scope)).errorType;
  markDeadlineAtEnd(child.span, child.ctx);
  markLate(child, now);
  if (metricAttributes !== undefined) recordDuration(child.startedAt, metricAttributes, errorType);
  endTracked(child.span);
}

function manifestRecordStart(scope: WorkflowScope | undefined, name: string, isStep: boolean): void {
  if (scope === undefined || scope.ended) return;
  if (isStep && !scope.expectedSteps.has(name)) scope.undeclaredSteps.add(name);
}

function manifestRecordSuccess(scope: WorkflowScope | undefined, name: string): void {
  if (scope === undefined || scope.ended) return;
  if (scope.expectedSteps.has(name)) scope.completedSteps.add(name);
}

/**
 * Runs `fn` as a workflow step: a `step {name}` span (`telltale.step.name`) under the active span. A declared
 * step that returns counts as completed in the workflow manifest; an undeclared one is recorded as such. Outside
 * any workflow the span is marked `telltale.orphan` (F12).
 */
export function step<T>(name: string, fn: WorkFn<T>): Promise<T>;
export function step<T>(name: string, options: StepOptions, fn: WorkFn<T>): Promise<T>;
export function step<T>(name: string, optionsOrFn: StepOptions | WorkFn<T>, maybeFn?: WorkFn<T>): Promise<T> {
  const [options, fn] = typeof optionsOrFn === "function" ? [{}, optionsOrFn] : [optionsOrFn, maybeFn as WorkFn<T>];
  const started = safely("step start", () => startStep(name, options, context.active()), undefined);
  if (started === undefined) return Promise.resolve().then(() => fn(fallbackRun()));
  return runIn(started.ctx, started.run, fn, (error, failed) => safely("step end", () => endStep(started, name, error, failed, !failed)));
}

/** Starts a step span under `parent`; {@link endStep} ends it. */
export function startStep(name: string, options: StepOptions, parent: Context): StartedChild {
  const child = startChild(`step ${name}`, { ...options.attributes, [ATTR_TELLTALE_STEP_NAME]: name }, parent);
  manifestRecordStart(child.scope, name, true);
  return child;
}

/** Ends a step span; a `completed` step counts in the workflow manifest. */
export function endStep(started: StartedChild, name: string, error: unknown, failed: boolean, completed: boolean): void {
  if (completed) manifestRecordSuccess(started.scope, name);
  endChild(started, error, failed, undefined);
}

/** The soft error a tool result amounts to (F5), if any. */
export function toolResultSoftError(result: unknown, isError?: (result: unknown) => boolean): SoftErrorKind | undefined {
  if (result === null || result === undefined) return "empty_tool_result";
  if (isError !== undefined) {
    if (isError(result)) return "tool_is_error";
  } else if (typeof result === "object" && (result as { isError?: unknown }).isError === true) {
    return "tool_is_error";
  }
  if (typeof result === "string") return result.trim() === "" ? "empty_tool_result" : undefined;
  if (Array.isArray(result)) return result.length === 0 ? "empty_tool_result" : undefined;
  if (result instanceof Map || result instanceof Set) return result.size === 0 ? "empty_tool_result" : undefined;
  if (typeof result === "object" && Object.getPrototypeOf(result) === Object.prototype) {
    const content = (result as { content?: unknown }).content;
    if (Array.isArray(content) && content.length === 0) return "empty_tool_result";
    if (Object.keys(result).length === 0) return "empty_tool_result";
  }
  return undefined;
}

function recordIdempotency(span: Span, name: string, options: ToolOptions, scope: WorkflowScope | undefined): void {
  if (!options.sideEffect) return;
  span.setAttribute(ATTR_TELLTALE_SIDE_EFFECT, true);
  const key = options.idempotencyKey;
  if (key === undefined || key === "") {
    span.setAttribute(ATTR_TELLTALE_IDEMPOTENCY_MISSING, true);
    markKeep(span, "idempotency_missing");
    return;
  }
  span.setAttribute(ATTR_TELLTALE_IDEMPOTENCY_KEY, key);
  const spanContext = span.spanContext();
  const traceState = scope?.trace ?? (trace.isSpanContextValid(spanContext) ? traceStateFor(spanContext.traceId) : undefined);
  if (traceState === undefined) return;
  const seenKey = `${name}\u0000${key}`;
  if (traceState.idempotencyKeys.has(seenKey)) {
    span.setAttribute(ATTR_TELLTALE_DUPLICATE, true);
    markKeep(span, "duplicate");
  } else if (traceState.idempotencyKeys.size < MAX_IDEMPOTENCY_KEYS_PER_TRACE) {
    traceState.idempotencyKeys.add(seenKey);
  }
}

/**
 * Runs `fn` as a tool call: an `execute_tool {name}` span (GenAI semconv) with side-effect and idempotency checks
 * (F8), deadline checks (F10) and soft errors for empty or `isError` results (F5).
 */
export function tool<T>(name: string, fn: WorkFn<T>): Promise<T>;
export function tool<T>(name: string, options: ToolOptions, fn: WorkFn<T>): Promise<T>;
export function tool<T>(name: string, optionsOrFn: ToolOptions | WorkFn<T>, maybeFn?: WorkFn<T>): Promise<T> {
  const [options, fn] = typeof optionsOrFn === "function" ? [{}, optionsOrFn] : [optionsOrFn, maybeFn as WorkFn<T>];
  const started = safely("tool start", () => startTool(name, options, context.active()), undefined);
  if (started === undefined) return Promise.resolve().then(() => fn(fallbackRun()));
  return runIn(started.ctx, started.run, fn, (error, failed, result) =>
    safely("tool end", () => endTool(started, name, options, error, failed, result)),
  );
}

/** Starts a tool span under `parent`; {@link endTool} ends it. */
export function startTool(name: string, options: ToolOptions, parent: Context): StartedChild {
  const attributes: Attributes = {
    ...options.attributes,
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
    [ATTR_GEN_AI_TOOL_NAME]: name,
  };
  if (options.callId !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ID] = options.callId;
  if (options.type !== undefined) attributes[ATTR_GEN_AI_TOOL_TYPE] = options.type;
  if (options.timeoutMs !== undefined) attributes[ATTR_TELLTALE_TOOL_TIMEOUT_MS] = options.timeoutMs;
  const timeoutMs = options.timeoutMs;
  const child = startChild(
    `execute_tool ${name}`,
    attributes,
    parent,
    timeoutMs === undefined
      ? undefined
      : () => {
          const own = AbortSignal.timeout(timeoutMs);
          const outer = workflowScopeOf(parent)?.signal;
          return outer === undefined ? own : AbortSignal.any([outer, own]);
        },
  );
  const remaining = deadlineRemainingMs(parent);
  if (timeoutMs !== undefined && remaining !== undefined && timeoutMs > remaining) {
    child.span.setAttribute(ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING, true);
    markKeep(child.span, "deadline_exceeded");
  }
  recordIdempotency(child.span, name, options, child.scope);
  return child;
}

/** Ends a tool span: a result that amounts to a soft error (F5) is recorded as one. */
export function endTool(started: StartedChild, name: string, options: ToolOptions, error: unknown, failed: boolean, result?: unknown): void {
  if (!failed) {
    manifestRecordSuccess(started.scope, name);
    const soft = toolResultSoftError(result, options.isError);
    if (soft !== undefined) {
      started.span.setAttribute(ATTR_TELLTALE_SOFT_ERROR, soft);
      markKeep(started.span, "soft_error");
      record("softErrors", 1, {
        [ATTR_TELLTALE_SOFT_ERROR]: soft,
        [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
      });
    }
  }
  endChild(started, error, failed, {
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
    [ATTR_GEN_AI_TOOL_NAME]: name,
  });
}

/**
 * Starts fire-and-forget work (F11, F12): a `spawn {name}` span (`telltale.spawned=true`) in the current trace.
 * Nobody needs to await it: a rejection is recorded on that span (`telltale.unhandled_rejection=true`) instead of
 * becoming an unhandled rejection. The returned promise settles when the work is done; it resolves even when the
 * work failed, unless `rethrow` is set.
 */
export function spawn(name: string, fn: WorkFn<unknown>, options: SpawnOptions = {}): Promise<void> {
  const started = safely(
    "spawn start",
    () => startChild(`spawn ${name}`, { ...options.attributes, [ATTR_TELLTALE_SPAWNED]: true }, context.active()),
    undefined,
  );
  const work =
    started === undefined
      ? Promise.resolve().then(() => fn(fallbackRun()))
      : runIn(started.ctx, started.run, fn, (error, failed) =>
          safely("spawn end", () => {
            if (failed) started.span.setAttribute(ATTR_TELLTALE_UNHANDLED_REJECTION, true);
            endChild(started, error, failed, undefined);
          }),
        );
  return work.then(
    () => undefined,
    (error: unknown) => {
      if (options.rethrow) throw error;
    },
  );
}
