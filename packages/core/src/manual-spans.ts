/**
 * Start/end forms of `workflow`, `step` and `tool`, for integrations that learn about work from start and end
 * events (framework callbacks, tracing processors) instead of running a function. The spans, manifests, budgets,
 * deadlines, idempotency checks, soft errors and late detection are exactly those of the function forms.
 */
import { context, INVALID_SPAN_CONTEXT, SpanKind, trace, type Context, type Span } from "@opentelemetry/api";
import { ATTR_ERROR_TYPE, ATTR_TELLTALE_ERROR_RECOVERABLE, ATTR_TELLTALE_INTERRUPTED } from "./attributes.js";
import { classifyError } from "./errors.js";
import { endRetrySpan, recordRetryAttempt, type RetryTally } from "./retry.js";
import { coreState } from "./state.js";
import { SCOPE_NAME, VERSION } from "./version.js";
import { safely } from "./safe.js";
import {
  endStep,
  endTool,
  endWorkflow,
  startStep,
  startTool,
  startWorkflow,
  type StartedChild,
  type StartedWorkflow,
  type StepOptions,
  type ToolOptions,
  type WorkflowOptions,
} from "./workflow.js";

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
   * input, not a failure) or `partial` (stopped short without an error). */
  end(outcome?: "partial" | "interrupted"): void;
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

const NEVER_ABORTED = new AbortController().signal;

function once(work: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    work();
  };
}

function detachedSpan(parent: Context): Pick<ManualSpan, "span" | "context" | "signal"> {
  // Only reached when starting failed: the work goes on in its parent's context, untraced.
  return { span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), context: parent, signal: NEVER_ABORTED };
}

/**
 * Starts a workflow span (`invoke_agent {name}`) under `parent` (default: the active context), as {@link workflow}
 * does around a function. Never throws.
 */
export function startWorkflowSpan(name: string, options: WorkflowOptions = {}, parent: Context = context.active()): WorkflowSpan {
  const started = safely<StartedWorkflow | undefined>("workflow start", () => startWorkflow(name, options, parent), undefined);
  if (started === undefined) return { ...detachedSpan(parent), end: () => undefined, fail: () => undefined };
  let outcome: "partial" | "interrupted" | undefined;
  let failure: { error: unknown } | undefined;
  const finish = once(() => safely("workflow end", () => endWorkflow(started, failure?.error, failure !== undefined, outcome)));
  return {
    span: started.span,
    context: started.ctx,
    signal: started.run.signal,
    end: (how) => {
      outcome = how;
      finish();
    },
    fail: (error) => {
      failure = { error };
      finish();
    },
  };
}

/** Starts a step span (`step {name}`) under `parent`, as {@link step} does around a function. Never throws. */
export function startStepSpan(name: string, options: StepOptions = {}, parent: Context = context.active()): StepSpan {
  const started = safely<StartedChild | undefined>("step start", () => startStep(name, options, parent), undefined);
  if (started === undefined) return { ...detachedSpan(parent), end: () => undefined, fail: () => undefined };
  let failure: { error: unknown } | undefined;
  let interrupted = false;
  const finish = once(() =>
    safely("step end", () => {
      if (interrupted) started.span.setAttribute(ATTR_TELLTALE_INTERRUPTED, true);
      endStep(started, name, failure?.error, failure !== undefined, failure === undefined && !interrupted);
    }),
  );
  return {
    span: started.span,
    context: started.ctx,
    get signal() {
      return started.run.signal;
    },
    end: (how) => {
      interrupted = how?.interrupted === true;
      finish();
    },
    fail: (error) => {
      failure = { error };
      finish();
    },
  };
}

/** Starts a tool span (`execute_tool {name}`) under `parent`, as {@link tool} does around a function. Never throws. */
export function startToolSpan(name: string, options: ToolOptions = {}, parent: Context = context.active()): ToolSpan {
  const started = safely<StartedChild | undefined>("tool start", () => startTool(name, options, parent), undefined);
  if (started === undefined) return { ...detachedSpan(parent), end: () => undefined, fail: () => undefined };
  let settled: { error: unknown; failed: boolean; result?: unknown } = { error: undefined, failed: false };
  const finish = once(() => safely("tool end", () => endTool(started, name, options, settled.error, settled.failed, settled.result)));
  return {
    span: started.span,
    context: started.ctx,
    get signal() {
      return started.run.signal;
    },
    end: (result) => {
      settled = { error: undefined, failed: false, result };
      finish();
    },
    fail: (error) => {
      settled = { error, failed: true };
      finish();
    },
  };
}

/** A retry span under way (see {@link startRetrySpan}). */
export interface RetrySpan extends ManualSpan {
  /** One attempt ended (failed with `error`, or succeeded): its event, error class and the wait before it. */
  attempt(outcome: { failed: boolean; error?: unknown; startedAt: number; endedAt: number }): void;
  /** Ends the retry span after its last attempt succeeded. */
  end(): void;
}

/**
 * Starts a `retry {name}` span under `parent` for retries someone else runs (a framework's retry wrapper): each
 * attempt reported with `attempt` becomes an event, and the span ends with the retry count, reasons, waits and the
 * non-recoverable retry flag (F1–F3) that {@link retry} records. Times are `performance.now()` readings. Never throws.
 */
export function startRetrySpan(name: string, parent: Context = context.active()): RetrySpan {
  const span = safely<Span | undefined>(
    "retry start",
    () => trace.getTracer(SCOPE_NAME, VERSION).startSpan(`retry ${name}`, { kind: SpanKind.INTERNAL }, parent),
    undefined,
  );
  if (span === undefined) return { ...detachedSpan(parent), attempt: () => undefined, end: () => undefined, fail: () => undefined };
  const ctx = trace.setSpan(parent, span).setValue(coreState().coreSpanKey, span);
  const tally: RetryTally = { errorClasses: [], waits: [], argsChanged: false, nonRecoverableRetried: false };
  let lastEndedAt: number | undefined;
  let lastFailureRecoverable = true;
  let failure: { error: unknown } | undefined;
  const finish = once(() => safely("retry end", () => endRetrySpan(span, tally, failure?.error, failure !== undefined)));
  return {
    span,
    context: ctx,
    signal: NEVER_ABORTED,
    attempt: ({ failed, error, startedAt, endedAt }) =>
      safely("retry attempt", () => {
        // An attempt after a non-recoverable failure is a retry that could not succeed (F3).
        if (tally.errorClasses.length > 0 && !lastFailureRecoverable) tally.nonRecoverableRetried = true;
        tally.waits.push(lastEndedAt === undefined ? 0 : Math.max(0, Math.round(startedAt - lastEndedAt)));
        lastEndedAt = endedAt;
        if (!failed) {
          lastFailureRecoverable = true;
          recordRetryAttempt(span, tally, endedAt - startedAt, "ok");
          return;
        }
        const classification = classifyError(error);
        lastFailureRecoverable = classification.recoverable;
        recordRetryAttempt(span, tally, endedAt - startedAt, classification.errorClass, {
          [ATTR_ERROR_TYPE]: classification.errorType,
          [ATTR_TELLTALE_ERROR_RECOVERABLE]: classification.recoverable,
        });
      }),
    end: () => finish(),
    fail: (error) => {
      failure = { error };
      finish();
    },
  };
}
