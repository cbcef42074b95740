import { context, INVALID_SPAN_CONTEXT, SpanKind, trace, type Attributes, type Span } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_TELLTALE_ARGS_FINGERPRINT,
  ATTR_TELLTALE_ATTEMPT_DURATION_MS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_NUMBER,
  ATTR_TELLTALE_ATTEMPT_WAIT_MS,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_RETRY_ARGS_CHANGED,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  EVENT_TELLTALE_ATTEMPT,
  type ErrorClass,
} from "./attributes.js";
import { classifyError, type ErrorClassification } from "./errors.js";
import { fingerprint } from "./fingerprint.js";
import { markKeep, recordError } from "./keep.js";
import { record } from "./metrics.js";
import { safely } from "./safe.js";
import { coreState, workflowScopeOf } from "./state.js";
import { SCOPE_NAME, VERSION } from "./version.js";

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

function abortableWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Runs `fn` until it succeeds, with exponential backoff, inside a `retry {name}` span. Every attempt is an event
 * (number, wait, error class, args fingerprint); the span carries the retry count, reasons and total wait. A
 * non-recoverable error is not retried (unless `retryOn` says so, which is flagged). Resolves with `fn`'s value or
 * rejects with the last attempt's error object, unchanged.
 */
export async function retry<T>(fn: (attempt: RetryAttempt) => T | PromiseLike<T>, policy: RetryPolicy = {}): Promise<T> {
  const parent = context.active();
  const maxAttempts = Math.max(1, Math.floor(policy.maxAttempts ?? 3));
  const signal = policy.signal ?? workflowScopeOf(parent)?.signal ?? NEVER_ABORTED;
  const span = safely(
    "retry start",
    () => trace.getTracer(SCOPE_NAME, VERSION).startSpan(`retry ${policy.name ?? "operation"}`, { kind: SpanKind.INTERNAL }, parent),
    undefined,
  );
  const ctx = span === undefined ? parent : trace.setSpan(parent, span).setValue(coreState().coreSpanKey, span);

  const tally: RetryTally = { errorClasses: [], waits: [], argsChanged: false, nonRecoverableRetried: false };
  const waits = tally.waits;
  let firstFingerprint: string | undefined;

  const finish = (error: unknown, failed: boolean, classification?: ErrorClassification): void =>
    safely("retry end", () => {
      if (span !== undefined) endRetrySpan(span, tally, error, failed, classification);
    });

  for (let number = 1; ; number += 1) {
    const attemptStartedAt = performance.now();
    let attemptFingerprint: string | undefined;
    const attempt: RetryAttempt = {
      number,
      signal,
      span: span ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
      recordArgs<A>(args: A): A {
        safely("retry recordArgs", () => {
          attemptFingerprint = fingerprint(args);
          if (firstFingerprint === undefined) firstFingerprint = attemptFingerprint;
          else if (attemptFingerprint !== firstFingerprint) tally.argsChanged = true;
        });
        return args;
      },
    };
    const attemptEvent = (errorClass: ErrorClass | "ok", extra: Attributes = {}): void =>
      safely("retry attempt event", () => {
        const event = attemptFingerprint === undefined ? extra : { ...extra, [ATTR_TELLTALE_ARGS_FINGERPRINT]: attemptFingerprint };
        recordRetryAttempt(span, tally, performance.now() - attemptStartedAt, errorClass, event);
      });
    if (number === 1) waits.push(0);

    let result: T;
    try {
      result = await context.with(ctx, () => fn(attempt));
    } catch (error) {
      const classification = classifyError(error);
      attemptEvent(classification.errorClass, {
        [ATTR_ERROR_TYPE]: classification.errorType,
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: classification.recoverable,
      });
      const wantsRetry =
        number < maxAttempts &&
        !signal.aborted &&
        safely("retry retryOn", () => policy.retryOn?.(classification, error, number) ?? classification.recoverable, false);
      if (!wantsRetry) {
        finish(error, true, classification);
        throw error;
      }
      if (!classification.recoverable) tally.nonRecoverableRetried = true;
      const wait = safely("retry delay", () => nextDelay(policy, number, classification, error), 0);
      waits.push(wait);
      try {
        await abortableWait(wait, signal);
      } catch {
        // The deadline passed while waiting: give up with the last real error, not the abort.
        finish(error, true, classification);
        throw error;
      }
      continue;
    }
    attemptEvent("ok");
    finish(undefined, false);
    return result;
  }
}

function nextDelay(policy: RetryPolicy, attempt: number, classification: ErrorClassification, error: unknown): number {
  const override = policy.delayMs?.(attempt, classification, error);
  if (override !== undefined) return Math.max(0, Math.round(override));
  const initial = policy.initialDelayMs ?? 200;
  const max = policy.maxDelayMs ?? 10_000;
  const exponential = Math.min(max, initial * (policy.multiplier ?? 2) ** (attempt - 1));
  const delay = policy.jitter === false ? exponential : exponential / 2 + Math.random() * (exponential / 2);
  return Math.round(delay);
}

/** What the attempts of a retried operation amounted to, as its span records them. */
export interface RetryTally {
  /** The error class of each attempt so far (`ok` for a successful one). */
  readonly errorClasses: (ErrorClass | "ok")[];
  /** Milliseconds waited before each attempt (0 for the first); the wait before an attempt is pushed before it runs. */
  readonly waits: number[];
  /** An attempt ran with arguments different from the first one's (F7). */
  argsChanged: boolean;
  /** A non-recoverable error was retried (F3). */
  nonRecoverableRetried: boolean;
}

/** Counts one attempt and adds its `telltale.attempt` event (number, wait, duration, error class) to `span`. */
export function recordRetryAttempt(
  span: Span | undefined,
  tally: RetryTally,
  durationMs: number,
  errorClass: ErrorClass | "ok",
  extra: Attributes = {},
): void {
  tally.errorClasses.push(errorClass);
  const number = tally.errorClasses.length;
  span?.addEvent(EVENT_TELLTALE_ATTEMPT, {
    ...extra,
    [ATTR_TELLTALE_ATTEMPT_NUMBER]: number,
    [ATTR_TELLTALE_ATTEMPT_WAIT_MS]: tally.waits[number - 1] ?? 0,
    [ATTR_TELLTALE_ATTEMPT_DURATION_MS]: Math.round(durationMs),
    [ATTR_TELLTALE_ERROR_CLASS]: errorClass,
  });
}

/** Writes the retry summary on `span` (count, reasons, waits, F3 and F7 flags, keep), the error if it failed, and
 * ends it. */
export function endRetrySpan(span: Span, tally: RetryTally, error: unknown, failed: boolean, classification?: ErrorClassification): void {
  const { errorClasses, waits } = tally;
  const retries = errorClasses.length - 1;
  span.setAttribute(ATTR_TELLTALE_RETRY_COUNT, retries);
  span.setAttribute(ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES, errorClasses);
  span.setAttribute(ATTR_TELLTALE_ATTEMPT_WAITS_MS, waits);
  if (retries > 0) {
    const reasons = errorClasses.slice(0, -1);
    span.setAttribute(ATTR_TELLTALE_RETRY_REASONS, reasons);
    span.setAttribute(ATTR_TELLTALE_RETRY_WAIT_MS, waits.reduce((sum, wait) => sum + wait, 0));
    markKeep(span, "retried");
    for (const reason of reasons) record("retries", 1, { [ATTR_TELLTALE_ERROR_CLASS]: reason });
  }
  if (tally.argsChanged) {
    span.setAttribute(ATTR_TELLTALE_RETRY_ARGS_CHANGED, true);
    markKeep(span, "args_changed");
  }
  if (tally.nonRecoverableRetried) {
    span.setAttribute(ATTR_TELLTALE_RETRY_NON_RECOVERABLE, true);
    markKeep(span, "non_recoverable_retry");
  }
  if (failed) recordError(span, error, classification);
  coreState().spanEnds.set(span, Date.now());
  span.end();
}
