import { context, INVALID_SPAN_CONTEXT, SpanKind, trace, type Context, type Span } from "@opentelemetry/api";
import { ATTR_TELLTALE_RETRY_NAME, type ErrorClass } from "./attributes.js";
import { addAttempt, flushFirstAttempt, NO_ATTEMPTS, writeAttempts, type AttemptEntry, type AttemptHost, type AttemptMetric } from "./attempts.js";
import { contextWithCoreSpan } from "./bound-context.js";
import { classifyError, type ErrorClassification } from "./errors.js";
import { fingerprint } from "./fingerprint.js";
import { recordError } from "./keep.js";
import { isValid, rules, defineSchema } from "./options.js";
import { NEVER_ABORTED, tracer } from "./run.js";
import { safely } from "./safe.js";
import { coreState, workflowScopeOf } from "./state.js";
import { abortableWait } from "./timers.js";
import { endTracked, TrackedSpan } from "./work.js";

/** How {@link retry} retries. */
export interface RetryPolicy {
  /** Names the span `retry {name}`; default `operation`. */
  name?: string;
  /** Attempts in all, the first included; default 3. */
  maxAttempts?: number;
  /** Wait before the second attempt; default 200 ms. Doubles (see `multiplier`) up to `maxDelayMs`. */
  initialDelayMs?: number;
  /** Default 10 000 ms. */
  maxDelayMs?: number;
  /** Default 2. */
  multiplier?: number;
  /** Randomise each wait between half and all of it, so that callers do not retry in lockstep; default true. */
  jitter?: boolean;
  /** Whether to retry after this error; default: `classification.recoverable`. Retrying a non-recoverable error
   * anyway is recorded as `telltale.retry.non_recoverable` (F3). */
  retryOn?: (classification: ErrorClassification, error: unknown, attempt: number) => boolean;
  /** Overrides the wait before the next attempt (e.g. from a `retry-after` header). */
  delayMs?: (attempt: number, classification: ErrorClassification, error: unknown) => number | undefined;
  /** Stops waiting and retrying when aborted; defaults to the workflow's deadline signal. */
  signal?: AbortSignal;
}

/** What each attempt's function receives. */
export interface RetryAttempt {
  /** 1-based. */
  readonly number: number;
  readonly signal: AbortSignal;
  readonly span: Span;
  /** Reports the arguments this attempt runs with and returns them unchanged; only a fingerprint is recorded. An
   * attempt whose fingerprint differs from the first attempt's flags `telltale.retry.args_changed` (F7). */
  recordArgs<A>(args: A): A;
}

const RETRY_SCHEMA = defineSchema<RetryPolicy>({
  name: rules.name,
  maxAttempts: rules.count,
  initialDelayMs: rules.milliseconds,
  maxDelayMs: rules.milliseconds,
  multiplier: rules.limit,
  jitter: rules.boolean,
  retryOn: rules.function,
  delayMs: rules.function,
  signal: rules.abortSignal,
});

/**
 * The attempts of one retried operation (`retry()`, or a framework's retries reported to `startRetrySpan`), written on
 * its span by the same recorder as an LLM call's (attempts.ts).
 */
export class RetryLog implements AttemptHost {
  attempts: readonly AttemptEntry[] = NO_ATTEMPTS;
  firstAttemptAt: number | undefined;

  constructor(private readonly name: string) {}

  record(span: Span | undefined, errorClass: ErrorClass | "ok", waitMs: number, durationMs: number, fingerprint: string | undefined): void {
    if (span === undefined) return;
    addAttempt(this, span, { statusCode: 0, errorClass, waitMs, durationMs: Math.max(0, Math.round(durationMs)), fingerprint });
  }

  finish(tracked: TrackedSpan | undefined, failed: boolean, error: unknown, classification: ErrorClassification | undefined, cutWaitMs?: number): void {
    if (tracked === undefined) return;
    const span = tracked.span;
    if (failed) {
      flushFirstAttempt(this, span);
      recordError(span, error, classification);
    }
    writeAttempts(this, span, false, cutWaitMs);
    endTracked(tracked);
  }

  retryMetric(): AttemptMetric {
    return { attributes: { [ATTR_TELLTALE_RETRY_NAME]: this.name }, target: undefined };
  }
}

/** Starts the `retry {name}` span under `parent`, and the context its attempts run in; no span when starting failed. */
export function openRetrySpan(name: string, parent: Context): { span: Span | undefined; tracked: TrackedSpan | undefined; ctx: Context } {
  const span = safely(
    "retry start",
    () => tracer().startSpan(`retry ${name}`, { kind: SpanKind.INTERNAL, attributes: { [ATTR_TELLTALE_RETRY_NAME]: name } }, parent),
    undefined,
  );
  if (span === undefined) return { span, tracked: undefined, ctx: parent };
  const tracked = new TrackedSpan(span);
  return { span, tracked, ctx: contextWithCoreSpan(parent, tracked, coreState().coreSpanKey) };
}

/**
 * Runs `fn` until it succeeds, with exponential backoff, inside a `retry {name}` span. Every attempt after a failure
 * is an event (number, wait, error class, args fingerprint); the span carries the retry count, reasons and total
 * wait. A non-recoverable error is not retried (unless `retryOn` says so, which is flagged). Resolves with `fn`'s
 * value or rejects with the last attempt's error object, unchanged. Invalid policy fields are reported through
 * `diag` and the defaults used instead (options.ts).
 */
export async function retry<T>(fn: (attempt: RetryAttempt) => T | PromiseLike<T>, options?: RetryPolicy): Promise<T> {
  const policy = RETRY_SCHEMA.read("retry", options);
  const name = policy.name ?? "operation";
  const parent = context.active();
  const maxAttempts = policy.maxAttempts ?? 3;
  const signal = policy.signal ?? workflowScopeOf(parent)?.signal ?? NEVER_ABORTED;
  const { span, tracked, ctx } = openRetrySpan(name, parent);
  const log = new RetryLog(name);
  const finish = (failed: boolean, error?: unknown, classification?: ErrorClassification, cutWaitMs?: number): void =>
    safely("retry end", () => log.finish(tracked, failed, error, classification, cutWaitMs));

  let waitMs = 0;
  for (let number = 1; ; number += 1) {
    const startedAt = performance.now();
    let argsFingerprint: string | undefined;
    const attempt: RetryAttempt = {
      number,
      signal,
      span: span ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
      recordArgs<A>(args: A): A {
        argsFingerprint = safely("retry recordArgs", () => fingerprint(args), undefined);
        return args;
      },
    };

    let result: T;
    try {
      result = await context.with(ctx, () => fn(attempt));
    } catch (error) {
      const classification = classifyError(error);
      safely("retry attempt", () => log.record(span, classification.errorClass, waitMs, performance.now() - startedAt, argsFingerprint));
      const wantsRetry =
        number < maxAttempts &&
        !signal.aborted &&
        safely("retry retryOn", () => policy.retryOn?.(classification, error, number) ?? classification.recoverable, false);
      if (!wantsRetry) {
        finish(true, error, classification);
        throw error;
      }
      const planned = safely("retry delay", () => nextDelay(policy, number, classification, error), 0);
      const waitStartedAt = performance.now();
      try {
        await abortableWait(planned, signal);
        waitMs = planned;
      } catch {
        // The deadline passed while waiting: give up with the last real error, not the abort, and record the wait
        // that happened rather than the one planned.
        finish(true, error, classification, Math.min(planned, Math.round(performance.now() - waitStartedAt)));
        throw error;
      }
      continue;
    }
    safely("retry attempt", () => log.record(span, "ok", waitMs, performance.now() - startedAt, argsFingerprint));
    finish(false);
    return result;
  }
}

/** The wait before the attempt after `attempt`: `delayMs`'s answer when it gives a valid one, else the backoff. */
function nextDelay(policy: Partial<RetryPolicy>, attempt: number, classification: ErrorClassification, error: unknown): number {
  const override = policy.delayMs?.(attempt, classification, error);
  if (override !== undefined && isValid("retry", "delayMs() result", override, rules.milliseconds)) return Math.round(override);
  const initial = policy.initialDelayMs ?? 200;
  const max = policy.maxDelayMs ?? 10_000;
  const exponential = Math.min(max, initial * (policy.multiplier ?? 2) ** (attempt - 1));
  const delay = policy.jitter === false ? exponential : exponential / 2 + Math.random() * (exponential / 2);
  return Math.round(delay);
}
