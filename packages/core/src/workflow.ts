import { context, SpanKind, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_TELLTALE_BUDGET_COST_USD_LIMIT,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_MODE,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_INTERRUPTED,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_PENDING_TASKS,
  ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED,
  ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
  ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
  type WorkflowOutcome,
} from "./attributes.js";
import { contextWithCoreSpan } from "./bound-context.js";
import { BUDGET_SCHEMA, writeBudgetTotals } from "./budget.js";
import { markDeadlineExceeded } from "./deadline.js";
import { DeadlineExceededError } from "./errors.js";
import { markKeep, recordError } from "./keep.js";
import { rules, defineSchema } from "./options.js";
import { classifyInScope, readCall, readName, recordDuration, runIn, runUntraced, tracer, type RunContext, type WorkFn } from "./run.js";
import { safely } from "./safe.js";
import { coreState, workflowScopeOf, type BudgetOptions, type TraceState, type WorkflowScope } from "./state.js";
import { callAt, type LongTimer } from "./timers.js";
import { releaseTraceState, traceStateFor } from "./trace-state.js";
import { endTracked } from "./work.js";

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

/** What a workflow's options accept (options.ts), for the function and the start/end form alike. */
export const WORKFLOW_SCHEMA = defineSchema<WorkflowOptions>({
  steps: rules.names,
  budget: rules.object(BUDGET_SCHEMA),
  deadlineMs: rules.milliseconds,
  attributes: rules.attributes,
  conversationId: rules.string,
});

// Shared by every workflow that declares no steps; only ever read.
const NO_STEPS: ReadonlySet<string> = new Set();

/**
 * Runs `fn` as an agent workflow: an `invoke_agent {name}` span (the trace root, or a child of the active span)
 * that records the step manifest and outcome `ok | error | partial` (F6), the budget (F9) and the deadline (F10).
 * Returns (or rejects with) exactly what `fn` returns (or throws). Invalid options are reported through `diag` and
 * ignored (options.ts).
 */
export function workflow<T>(name: string, fn: WorkFn<T>): Promise<T>;
export function workflow<T>(name: string, options: WorkflowOptions, fn: WorkFn<T>): Promise<T>;
export function workflow<T>(name: string, optionsOrFn: WorkflowOptions | WorkFn<T>, maybeFn?: WorkFn<T>): Promise<T> {
  const [options, fn] = readCall<WorkflowOptions, T>("workflow", optionsOrFn, maybeFn, WORKFLOW_SCHEMA);
  const started = safely("workflow start", () => startWorkflow(readName("workflow", name), options, context.active()), undefined);
  if (started === undefined) return runUntraced(fn);
  return runIn(started.ctx, started.run, fn, (error, failed) =>
    safely("workflow end", () => endWorkflow(started, error, failed)),
  );
}

/** How a workflow that did not fail says it ended, when it knows better than its manifest: `partial` (it stopped
 * short) or `interrupted` (it paused for input and can be resumed: not a failure). */
export type StatedOutcome = "partial" | "interrupted";

/** A workflow span under way, as {@link startWorkflow} started it; {@link endWorkflow} ends it. */
export interface StartedWorkflow {
  readonly ctx: Context;
  readonly run: RunContext;
  readonly span: Span;
  readonly scope: RunningWorkflow;
  readonly outer: WorkflowScope | undefined;
  readonly startedAt: number;
}

function spanAttributes(name: string | undefined, options: Partial<WorkflowOptions>, expectedSteps: ReadonlySet<string>, budget: BudgetOptions | undefined): Attributes {
  const attributes: Attributes = { ...options.attributes, [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT };
  if (name !== undefined) attributes[ATTR_GEN_AI_AGENT_NAME] = name;
  if (options.conversationId !== undefined) attributes[ATTR_GEN_AI_CONVERSATION_ID] = options.conversationId;
  if (expectedSteps.size > 0) attributes[ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED] = [...expectedSteps];
  if (budget !== undefined) {
    attributes[ATTR_TELLTALE_BUDGET_MODE] = budget.mode ?? "observe";
    if (budget.tokens !== undefined) attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT] = budget.tokens;
    if (budget.costUsd !== undefined) attributes[ATTR_TELLTALE_BUDGET_COST_USD_LIMIT] = budget.costUsd;
  }
  return attributes;
}

/** The deadline of a workflow: its own, or the outer one when that is earlier (a nested workflow never extends it). */
function deadlineOf(options: Partial<WorkflowOptions>, outer: WorkflowScope | undefined, now: number): number | undefined {
  const own = options.deadlineMs !== undefined ? now + options.deadlineMs : undefined;
  if (own === undefined) return outer?.deadlineAt;
  return outer?.deadlineAt === undefined ? own : Math.min(own, outer.deadlineAt);
}

/**
 * The scope of a running workflow. Its abort signal is made when something first reads it: most workflows never
 * hand it to anything (a nested one would pay `AbortSignal.any` for it). It is aborted by the workflow's deadline or
 * by the outer workflow's signal; read after the deadline passed, it is already aborted with the deadline's reason.
 * The deadline's timer is armed with the signal, since the signal is all it acts on while the workflow runs: what
 * the deadline means for the spans (the time left, `telltale.deadline.exceeded`, the keep mark) is judged from the
 * clock when each span starts and ends. A timer per workflow, armed and cleared, costs more than the rest of the
 * deadline's bookkeeping.
 * A class, not an object literal: a literal with a getter is built by the runtime, not cloned from a boilerplate,
 * and costs some 20 times as much.
 */
export class RunningWorkflow implements WorkflowScope {
  readonly completedSteps = new Set<string>();
  readonly undeclaredSteps = new Set<string>();
  ended = false;
  deadlineExceeded = false;
  pending = 0;
  private controller: AbortController | undefined;
  private combined: AbortSignal | undefined;
  private abortReason: unknown;
  private aborted = false;
  private deadlineTimer: LongTimer | undefined;
  /** When the workflow span ended (epoch ms): the workflow is the core span its direct children started under. */
  endedAt: number | undefined = undefined;

  constructor(
    readonly name: string,
    readonly traceId: string,
    readonly span: Span,
    readonly expectedSteps: ReadonlySet<string>,
    readonly budget: Readonly<BudgetOptions> | undefined,
    readonly deadlineAt: number | undefined,
    /** The deadline as the workflow was given it (ms), for the error its signal aborts with. */
    private readonly deadlineMs: number | undefined,
    readonly trace: TraceState,
    private readonly outer: WorkflowScope | undefined,
  ) {}

  get signal(): AbortSignal {
    if (this.combined !== undefined) return this.combined;
    const controller = new AbortController();
    if (this.aborted) controller.abort(this.abortReason);
    this.controller = controller;
    this.combined = this.outer === undefined ? controller.signal : AbortSignal.any([controller.signal, this.outer.signal]);
    this.watchDeadline();
    return this.combined;
  }

  /** Stops watching the deadline (the workflow ended). */
  stopWatchingDeadline(): void {
    this.deadlineTimer?.cancel();
    this.deadlineTimer = undefined;
  }

  /** Aborts the signal at the deadline: now if it has passed, else from a timer that never keeps the process alive. */
  private watchDeadline(): void {
    const deadlineAt = this.deadlineAt;
    if (deadlineAt === undefined || this.ended || this.aborted) return;
    const pass = (): void => safely("workflow deadline", () => this.passDeadline());
    if (Date.now() >= deadlineAt) pass();
    else this.deadlineTimer = callAt(deadlineAt, pass, false);
  }

  private passDeadline(): void {
    this.deadlineExceeded = true;
    markDeadlineExceeded(this.span);
    this.abort(new DeadlineExceededError(this.deadlineMs ?? 0));
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }
}

/** What a workflow's function gets: its span, its scope's signal, the time left. */
class WorkflowRun implements RunContext {
  /** A function property, not a method: callers may take it off the object. */
  readonly remainingMs: () => number | undefined;

  constructor(
    readonly span: Span,
    private readonly scope: RunningWorkflow,
  ) {
    const deadlineAt = scope.deadlineAt;
    this.remainingMs = () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now());
  }

  get signal(): AbortSignal {
    return this.scope.signal;
  }
}

/** Starts a workflow span under `parent` (options already checked). */
export function startWorkflow(name: string | undefined, options: Partial<WorkflowOptions>, parent: Context): StartedWorkflow {
  const outer = workflowScopeOf(parent);
  const expectedSteps: ReadonlySet<string> = options.steps === undefined || options.steps.length === 0 ? NO_STEPS : new Set(options.steps);
  const budget = options.budget ?? outer?.budget ?? coreState().defaultBudget;
  const spanName = name === undefined ? GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT : `${GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT} ${name}`;
  const span = tracer().startSpan(spanName, { kind: SpanKind.INTERNAL, attributes: spanAttributes(name, options, expectedSteps, budget) }, parent);
  const traceId = span.spanContext().traceId;

  const now = Date.now();
  const deadlineAt = deadlineOf(options, outer, now);
  const traceState: TraceState = outer?.traceId === traceId ? outer.trace : traceStateFor(traceId);
  traceState.activeWorkflows += 1;
  const remaining = deadlineAt === undefined ? undefined : deadlineAt - now;
  const scope = new RunningWorkflow(name ?? "", traceId, span, expectedSteps, budget, deadlineAt, options.deadlineMs ?? remaining, traceState, outer);
  if (outer !== undefined && !outer.ended) outer.pending += 1;
  if (remaining !== undefined) span.setAttribute(ATTR_TELLTALE_DEADLINE_REMAINING_MS, Math.max(0, Math.round(remaining)));

  const state = coreState();
  const ctx = contextWithCoreSpan(parent, scope, state.coreSpanKey, state.workflowKey, scope);
  const run = new WorkflowRun(span, scope);
  return { ctx, run, span, scope, outer: outer !== undefined && !outer.ended ? outer : undefined, startedAt: performance.now() };
}

function recordManifest(span: Span, scope: WorkflowScope, failed: boolean, stated: StatedOutcome | undefined): void {
  const expected = [...scope.expectedSteps];
  const completed = expected.filter((step) => scope.completedSteps.has(step));
  const missing = expected.filter((step) => !scope.completedSteps.has(step));
  if (expected.length > 0) {
    span.setAttribute(ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED, completed);
    span.setAttribute(ATTR_TELLTALE_WORKFLOW_STEPS_MISSING, missing);
  }
  if (scope.undeclaredSteps.size > 0) span.setAttribute(ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED, [...scope.undeclaredSteps]);
  const outcome: WorkflowOutcome = failed ? "error" : (stated ?? (missing.length > 0 ? "partial" : "ok"));
  span.setAttribute(ATTR_TELLTALE_WORKFLOW_OUTCOME, outcome);
  if (outcome === "partial") markKeep(span, "partial");
  if (outcome === "interrupted") span.setAttribute(ATTR_TELLTALE_INTERRUPTED, true);
}

/** Work the workflow started that is still running will end late (F11): say how much, and keep the trace for it,
 * so that the late spans join a kept trace instead of arriving after a decision that dropped it. */
function recordPendingWork(span: Span, scope: WorkflowScope): void {
  if (scope.pending <= 0) return;
  span.setAttribute(ATTR_TELLTALE_WORKFLOW_PENDING_TASKS, scope.pending);
  markKeep(span, "late");
}

/** Ends a workflow span: manifest and outcome (`stated` when the caller knows better, see {@link StatedOutcome}; a
 * failure is always `error`), pending work, error, budget, deadline, duration. */
export function endWorkflow(started: StartedWorkflow, error: unknown, failed: boolean, stated?: StatedOutcome): void {
  const { span, scope, ctx } = started;
  if (started.outer !== undefined) started.outer.pending -= 1;
  scope.stopWatchingDeadline();
  scope.ended = true;
  recordManifest(span, scope, failed, stated);
  recordPendingWork(span, scope);
  let errorType: string | undefined;
  let failedOfDeadline = false;
  if (failed) {
    const found = recordError(span, error, classifyInScope(error, scope));
    errorType = found.errorType;
    failedOfDeadline = found.errorClass === "deadline_exceeded";
  }
  if (scope.budget !== undefined || scope.trace.tokensUsed > 0) writeBudgetTotals(span, ctx);
  if (scope.trace.exceeded && scope.budget !== undefined) {
    span.setAttribute(ATTR_TELLTALE_BUDGET_EXCEEDED, true);
    markKeep(span, "budget_exceeded");
  }
  // Past its deadline: the time is up, or the workflow failed of it (a framework that enforces the same deadline
  // with its own timer may fail the run a moment before this one fires).
  if (scope.deadlineAt !== undefined && (failedOfDeadline || Date.now() > scope.deadlineAt)) {
    scope.deadlineExceeded = true;
    markDeadlineExceeded(span);
  }
  const metricAttributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT };
  if (scope.name !== "") metricAttributes[ATTR_GEN_AI_AGENT_NAME] = scope.name;
  recordDuration(started.startedAt, metricAttributes, errorType);
  releaseTraceState(scope.trace);
  endTracked(scope);
}
