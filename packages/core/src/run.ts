/** What `workflow`, `step`, `tool` and `spawn` share: how they read their arguments and run the user's function. */
import { context, INVALID_SPAN_CONTEXT, trace, type Attributes, type Context, type Span, type Tracer, type TracerProvider } from "@opentelemetry/api";
import { ATTR_ERROR_TYPE } from "./attributes.js";
import { classifyAgainstDeadline } from "./deadline.js";
import { classifyError, type ErrorClassification } from "./errors.js";
import { record } from "./metrics.js";
import { isValid, rules, type Schema } from "./options.js";
import type { WorkflowScope } from "./state.js";
import { SCOPE_NAME, VERSION } from "./version.js";

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

export type WorkFn<T> = (run: RunContext) => T | PromiseLike<T>;

/** The signal of work that nothing can abort. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

// Keyed on the global provider object: `trace.getTracer` looks the provider up and allocates a tracer on every call,
// and a provider registered later (after `trace.disable()`) is a new object, so it is still picked up.
let cachedTracer: { provider: TracerProvider; tracer: Tracer } | undefined;

/** Core's tracer from the global tracer provider. */
export function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (cachedTracer?.provider !== provider) cachedTracer = { provider, tracer: provider.getTracer(SCOPE_NAME, VERSION) };
  return cachedTracer.tracer;
}

/** The name argument of `where`, or undefined (reported once) when it is not a non-empty string. */
export function readName(where: string, name: unknown): string | undefined {
  return isValid(where, "name", name, rules.name) ? (name as string) : undefined;
}

/** `(name, fn)` or `(name, options, fn)`: the options that follow `schema` (see options.ts), and the function. */
export function readCall<O extends object, T>(
  where: string,
  optionsOrFn: unknown,
  maybeFn: WorkFn<T> | undefined,
  schema: Schema<O>,
): [Partial<O>, WorkFn<T>] {
  if (typeof optionsOrFn === "function") return [schema.read(where, undefined), optionsOrFn as WorkFn<T>];
  return [schema.read(where, optionsOrFn), maybeFn as WorkFn<T>];
}

/** The classification to record: an abort or timeout caused by the passed workflow deadline is `deadline_exceeded`. */
export function classifyInScope(err: unknown, scope: WorkflowScope | undefined): ErrorClassification {
  return classifyAgainstDeadline(classifyError(err), scope);
}

export function recordDuration(startedAt: number, attributes: Attributes, errorType: string | undefined): void {
  const measured = errorType === undefined ? attributes : { ...attributes, [ATTR_ERROR_TYPE]: errorType };
  record("operationDuration", (performance.now() - startedAt) / 1000, measured);
}

/** Runs `fn` in `ctx` and reports its outcome to `settle` (which must not throw); the result or error of `fn`
 * passes through unchanged. */
export async function runIn<T>(
  ctx: Context,
  run: RunContext,
  fn: WorkFn<T>,
  settle: (error: unknown, failed: boolean, result?: T) => void,
): Promise<T> {
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

/** Runs `fn` with no telemetry at all: what every wrapper falls back to when starting its span failed. */
export function runUntraced<T>(fn: WorkFn<T>): Promise<T> {
  const run: RunContext = { span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), signal: NEVER_ABORTED, remainingMs: () => undefined };
  return Promise.resolve().then(() => fn(run));
}
