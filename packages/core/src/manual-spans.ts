/**
 * Start/end forms of `workflow`, `step`, `tool` and `retry`, for integrations that learn about work from start and end
 * events (framework callbacks, tracing processors, telemetry hooks) instead of running a function. Each starts and
 * ends its span with the very functions the function form runs (workflow.ts, step.ts, tool.ts, retry.ts), so the
 * spans, manifests, budgets, deadlines, idempotency checks, soft errors, attempts and late marks are the same.
 */
import { context, INVALID_SPAN_CONTEXT, trace, type Context, type Span } from "@opentelemetry/api";
import { GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT, SOFT_ERROR_KINDS, type SoftErrorKind } from "./attributes.js";
import { classifyError } from "./errors.js";
import { defineSchema, isValid, rules, type Schema } from "./options.js";
import { openRetrySpan, RetryLog } from "./retry.js";
import { NEVER_ABORTED, readName, type RunContext } from "./run.js";
import { safely } from "./safe.js";
import { markSoftError } from "./soft-errors.js";
import { endStep, startStep, STEP_SCHEMA, type StepOptions } from "./step.js";
import { endTool, startTool, TOOL_SCHEMA, type ToolOptions } from "./tool.js";
import { endWorkflow, startWorkflow, WORKFLOW_SCHEMA, type StatedOutcome, type WorkflowOptions } from "./workflow.js";

/** A span started by one of the `start*Span` functions. Every method is idempotent and never throws. */
export interface ManualSpan {
  readonly span: Span;
  /** The context work under this span starts in (the span, and its workflow's deadline, budget and manifest). */
  readonly context: Context;
  /** Aborts when the workflow deadline passes (or, for a tool with `timeoutMs`, its own timeout). */
  readonly signal: AbortSignal;
  /** Ends the span as failed with `error` (classified and recorded as `workflow`/`step`/`tool` would). */
  fail(error: unknown): void;
}

/** A workflow span under way (see {@link startWorkflowSpan}). */
export interface WorkflowSpan extends ManualSpan {
  /** Ends the workflow: `ok`, or `partial` when declared steps are missing; `outcome` says `interrupted` (paused for
   * input, not a failure: `telltale.interrupted=true`) or `partial` (stopped short without an error). */
  end(outcome?: StatedOutcome): void;
  /** A failure of the whole run that raised nothing (a stream of it abandoned unread, say): `telltale.soft_error` on
   * the workflow span, as an LLM call records one. Only the first is recorded. */
  softError(kind: SoftErrorKind, detail?: string): void;
}

/** A step span under way (see {@link startStepSpan}). */
export interface StepSpan extends ManualSpan {
  /** Ends the step; it counts as completed in the workflow manifest unless it was `interrupted` (paused for input,
   * `telltale.interrupted=true`, not a failure). */
  end(how?: { interrupted?: boolean }): void;
}

/** A tool span under way (see {@link startToolSpan}). */
export interface ToolSpan extends ManualSpan {
  /** Ends the tool call with its result: an empty or `isError` result is a soft error (F5), as with `tool`. */
  end(result?: unknown): void;
}

/** A retry span under way (see {@link startRetrySpan}). */
export interface RetrySpan extends ManualSpan {
  /** One attempt ended (failed with `error`, or succeeded): its event, error class and the wait before it. */
  attempt(outcome: { failed: boolean; error?: unknown; startedAt: number; endedAt: number }): void;
  /** Ends the retry span after its last attempt succeeded. */
  end(): void;
}

/** How a manual span was settled: ended (`how` says in what way) or failed. */
type Settlement<E> = { readonly failed: false; readonly how: E } | { readonly failed: true; readonly error: unknown };

interface Started {
  readonly span: Span;
  readonly ctx: Context;
  readonly run: Pick<RunContext, "signal">;
}

/** The span object of a started unit of work: the first `end` or `fail` settles it through `finish`, once. */
function settledOnce<E>(what: string, started: Started, finish: (settlement: Settlement<E>) => void): ManualSpan & { end(how: E): void } {
  return new SettledOnce(what, started, finish);
}

/**
 * A class, not an object literal: a literal with a getter (the signal) is built by the runtime, not cloned from a
 * boilerplate, and costs some 20 times as much. `end` and `fail` stay function properties: callers may take them off
 * the object.
 */
class SettledOnce<E> implements ManualSpan {
  readonly span: Span;
  readonly context: Context;
  readonly end: (how: E) => void;
  readonly fail: (error: unknown) => void;
  private settled = false;

  constructor(
    what: string,
    private readonly started: Started,
    finish: (settlement: Settlement<E>) => void,
  ) {
    this.span = started.span;
    this.context = started.ctx;
    const settle = (settlement: Settlement<E>): void => {
      if (this.settled) return;
      this.settled = true;
      safely(`${what} end`, () => finish(settlement));
    };
    this.end = (how) => settle({ failed: false, how });
    this.fail = (error) => settle({ failed: true, error });
  }

  // Read on demand: a tool's signal with its own timeout is created on first use.
  get signal(): AbortSignal {
    return this.started.run.signal;
  }
}

/** Where starting failed: the work goes on in its parent's context, untraced. */
function untraced(parent: Context): ManualSpan & { end(): void } {
  return { span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), context: parent, signal: NEVER_ABORTED, end: () => undefined, fail: () => undefined };
}

/** The arguments of a start form, checked as its function form checks them: the name, the options, and the parent (a
 * Context, else the active one; a parent that is not a Context is reported). */
function readStart<O extends object>(where: string, name: unknown, options: unknown, schema: Schema<O>, parent: unknown) {
  const from = parent !== undefined && isValid(where, "parent", parent, rules.context) ? (parent as Context) : context.active();
  return { name: readName(where, name), valid: schema.read(where, options), from };
}

const SOFT_ERROR_RULE = rules.oneOf(SOFT_ERROR_KINDS);
/** `startRetrySpan` takes no options. */
const NO_OPTIONS_SCHEMA = defineSchema<Record<string, never>>({});

/**
 * Starts a workflow span (`invoke_agent {name}`) under `parent` (default: the active context), as {@link workflow}
 * does around a function. Options are checked as `workflow` checks them. Never throws.
 */
export function startWorkflowSpan(name: string, options?: WorkflowOptions, parent?: Context): WorkflowSpan {
  const { name: workflowName, valid, from } = readStart("startWorkflowSpan", name, options, WORKFLOW_SCHEMA, parent);
  const started = safely("workflow start", () => startWorkflow(workflowName, valid, from), undefined);
  if (started === undefined) return Object.assign(untraced(from), { softError: () => undefined });
  let softError: SoftErrorKind | undefined;
  const manual = settledOnce<StatedOutcome | undefined>("workflow", started, (settlement) =>
    settlement.failed ? endWorkflow(started, settlement.error, true) : endWorkflow(started, undefined, false, settlement.how),
  );
  return Object.assign(manual, {
    softError: (kind: SoftErrorKind, detail?: string) =>
      safely("workflow softError", () => {
        if (softError !== undefined || started.scope.ended || !isValid("WorkflowSpan.softError", "kind", kind, SOFT_ERROR_RULE)) return;
        softError = kind;
        markSoftError(started.span, kind, typeof detail === "string" ? detail : undefined, GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT);
      }),
  });
}

/** Starts a step span (`step {name}`) under `parent`, as {@link step} does around a function. Never throws. */
export function startStepSpan(name: string, options?: StepOptions, parent?: Context): StepSpan {
  const { name: stepName, valid, from } = readStart("startStepSpan", name, options, STEP_SCHEMA, parent);
  const started = safely("step start", () => startStep(stepName, valid, from), undefined);
  if (started === undefined) return untraced(from);
  return settledOnce<{ interrupted?: boolean } | undefined>("step", started, (settlement) =>
    endStep(started, stepName, settlement.failed ? settlement : { failed: false, interrupted: settlement.how?.interrupted === true }),
  );
}

/** Starts a tool span (`execute_tool {name}`) under `parent`, as {@link tool} does around a function. Never throws. */
export function startToolSpan(name: string, options?: ToolOptions, parent?: Context): ToolSpan {
  const { name: toolName, valid, from } = readStart("startToolSpan", name, options, TOOL_SCHEMA, parent);
  const started = safely("tool start", () => startTool(toolName, valid, from), undefined);
  if (started === undefined) return untraced(from);
  return settledOnce<unknown>("tool", started, (settlement) =>
    endTool(started, toolName, valid.isError, settlement.failed ? settlement : { failed: false, result: settlement.how }),
  );
}

/** What a reported attempt accepts. */
const ATTEMPT_SCHEMA = defineSchema<{ failed: boolean; error: unknown; startedAt: number; endedAt: number }>({
  failed: rules.required(rules.boolean),
  error: rules.any,
  startedAt: rules.required(rules.finite),
  endedAt: rules.required(rules.finite),
});

/**
 * Starts a `retry {name}` span under `parent` for retries someone else runs (a framework's retry wrapper): each
 * attempt reported with `attempt` is recorded by the attempt recorder of {@link retry} (event, error class, the wait
 * since the previous attempt ended), and the span ends with the retry count, reasons, waits and the non-recoverable
 * retry flag (F1–F3) that `retry` records. Times are `performance.now()` readings. Never throws.
 */
export function startRetrySpan(name: string, parent?: Context): RetrySpan {
  const start = readStart("startRetrySpan", name, undefined, NO_OPTIONS_SCHEMA, parent);
  const from = start.from;
  const retryName = start.name ?? "operation";
  const { span, tracked, ctx } = openRetrySpan(retryName, from);
  if (span === undefined) return Object.assign(untraced(from), { attempt: () => undefined });
  const log = new RetryLog(retryName);
  let lastEndedAt: number | undefined;
  const manual = settledOnce<undefined>("retry", { span, ctx, run: { signal: NEVER_ABORTED } }, (settlement) =>
    log.finish(tracked, settlement.failed, settlement.failed ? settlement.error : undefined, undefined),
  );
  const settle = manual.end;
  return Object.assign(manual, {
    end: () => settle(undefined),
    attempt: (outcome: { failed: boolean; error?: unknown; startedAt: number; endedAt: number }) =>
      safely("retry attempt", () => {
        if (!span.isRecording()) return;
        const reported = ATTEMPT_SCHEMA.read("RetrySpan.attempt", outcome);
        if (reported.failed === undefined || reported.startedAt === undefined || reported.endedAt === undefined) return;
        const waitMs = lastEndedAt === undefined ? 0 : Math.max(0, Math.round(reported.startedAt - lastEndedAt));
        lastEndedAt = reported.endedAt;
        const errorClass = reported.failed ? classifyError(reported.error).errorClass : "ok";
        log.record(span, errorClass, waitMs, reported.endedAt - reported.startedAt, undefined);
      }),
  });
}
