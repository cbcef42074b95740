/**
 * The attempts of one operation and what they write on its span (F1, F3, F7): the SDK-internal HTTP attempts of an
 * LLM call (llm.ts) and the attempts of an app-level `retry()` (retry.ts) are recorded by these functions, so both
 * write the same attributes, events, keep marks and metric in the same cases.
 *
 * The common case, one attempt that succeeded, writes nothing: a retry count of 0 and one-element arrays would only
 * say "no retry, it worked", and every attribute costs every call time. It also allocates nothing beyond the one
 * attempt entry and its one-element list.
 */
import type { Attributes, Span } from "@opentelemetry/api";
import {
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_ARGS_FINGERPRINT,
  ATTR_TELLTALE_ATTEMPT_DURATION_MS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_NUMBER,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ATTEMPT_WAIT_MS,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_RETRY_ARGS_CHANGED,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  EVENT_TELLTALE_ATTEMPT,
  type ErrorClass,
} from "./attributes.js";
import { isRecoverable } from "./errors.js";
import { markKeep } from "./keep.js";
import { record, type LlmMetrics } from "./metrics.js";

/** One attempt as recorded. */
export interface AttemptEntry {
  /** The HTTP status of the attempt's response; 0 when none arrived or the operation is not HTTP. */
  readonly statusCode: number;
  readonly errorClass: ErrorClass | "ok";
  /** Milliseconds waited before the attempt (0 for the first), as long as the wait really lasted. */
  readonly waitMs: number;
  readonly durationMs: number | undefined;
  /** The fingerprint of the attempt's arguments (`retry()`'s `recordArgs`), if reported. */
  readonly fingerprint: string | undefined;
}

/** Where the retry metric goes and what it says about the operation. */
export interface AttemptMetric {
  /** The operation's attributes on `telltale.retries` (the reason is added per retry). */
  readonly attributes: Attributes;
  /** The instruments to record to; core's own when undefined. */
  readonly target: LlmMetrics | undefined;
}

/** Every operation's attempt list until its first attempt: most record one, as `[entry]` (an array grown by a first
 * push would reserve 17 slots). */
export const NO_ATTEMPTS: readonly AttemptEntry[] = Object.freeze([]);

/**
 * What an operation keeps of its attempts. The LLM call span holds these fields itself (a separate recorder object
 * would be one more allocation on every call, and a base class measured as one too: V8 moved the derived span's
 * fields out of the object).
 */
export interface AttemptHost {
  attempts: readonly AttemptEntry[];
  /** When the first attempt ended, while it is the only one and succeeded: its event is written only once a second
   * attempt (or a failure of the operation) makes it informative. */
  firstAttemptAt: number | undefined;
  /** Where the operation's retries are counted; asked only when there was a retry. */
  retryMetric(): AttemptMetric;
}

/** Records an attempt on `span`: its event at once, unless it is a first attempt that succeeded. */
export function addAttempt(host: AttemptHost, span: Span, entry: AttemptEntry): void {
  host.attempts = host.attempts.length === 0 ? [entry] : [...host.attempts, entry];
  if (host.attempts.length === 1 && entry.errorClass === "ok") {
    // performance.now() is what the SDK's span clock reads too, so the event keeps its own time when written later.
    host.firstAttemptAt = performance.now();
    return;
  }
  flushFirstAttempt(host, span);
  addAttemptEvent(span, entry, host.attempts.length);
}

/** The operation failed (or soft-failed) after a first attempt that succeeded: that attempt's event is worth it. */
export function flushFirstAttempt(host: AttemptHost, span: Span): void {
  const time = host.firstAttemptAt;
  const first = host.attempts[0];
  if (time === undefined || first === undefined) return;
  host.firstAttemptAt = undefined;
  addAttemptEvent(span, first, 1, time);
}

/** The status of the last attempt, if it had one. */
export function lastStatusCode(host: AttemptHost): number | undefined {
  const status = host.attempts[host.attempts.length - 1]?.statusCode;
  return status === undefined || status === 0 ? undefined : status;
}

/**
 * Writes what the attempts say on the operation's span when the operation ends: the per-attempt arrays and the
 * retry count when there was a retry or a failure; the reasons, total wait, keep marks (`retried`,
 * `non_recoverable_retry`, `args_changed`) and one `telltale.retries` measurement per retry when there was a retry.
 * `http` adds the HTTP view (status codes, `http.request.resend_count`) for SDK-internal attempts. `cutWaitMs` is a
 * wait for another attempt that the deadline cut short: it ends `telltale.attempt.waits_ms` and counts in the total
 * wait, as long as it really lasted.
 */
export function writeAttempts(host: AttemptHost, span: Span, http: boolean, cutWaitMs?: number): void {
  const attempts = host.attempts;
  const last = attempts[attempts.length - 1];
  if (last === undefined) return;
  const retries = attempts.length - 1;
  if (retries === 0 && last.errorClass === "ok") return;
  const waits = attempts.map((a) => a.waitMs);
  if (cutWaitMs !== undefined) waits.push(cutWaitMs);
  if (http) {
    span.setAttribute(ATTR_TELLTALE_ATTEMPT_STATUS_CODES, attempts.map((a) => a.statusCode));
    span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, retries);
  }
  span.setAttribute(ATTR_TELLTALE_RETRY_COUNT, retries);
  span.setAttribute(ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES, attempts.map((a) => a.errorClass));
  span.setAttribute(ATTR_TELLTALE_ATTEMPT_WAITS_MS, waits);
  const totalWaitMs = waits.reduce((sum, wait) => sum + wait, 0);
  if (retries === 0) {
    if (totalWaitMs > 0) span.setAttribute(ATTR_TELLTALE_RETRY_WAIT_MS, totalWaitMs);
    return;
  }
  // Every attempt but the last was followed by a retry: its error class is the reason for that retry.
  const reasons = attempts.slice(0, -1).map((a) => a.errorClass);
  span.setAttribute(ATTR_TELLTALE_RETRY_REASONS, reasons);
  span.setAttribute(ATTR_TELLTALE_RETRY_WAIT_MS, totalWaitMs);
  markKeep(span, "retried");
  if (reasons.some((reason) => reason !== "ok" && !isRecoverable(reason))) {
    span.setAttribute(ATTR_TELLTALE_RETRY_NON_RECOVERABLE, true);
    markKeep(span, "non_recoverable_retry");
  }
  if (argsChanged(attempts)) {
    span.setAttribute(ATTR_TELLTALE_RETRY_ARGS_CHANGED, true);
    markKeep(span, "args_changed");
  }
  const metric = host.retryMetric();
  for (const reason of reasons) record("retries", 1, { ...metric.attributes, [ATTR_TELLTALE_ERROR_CLASS]: reason }, metric.target);
}

function addAttemptEvent(span: Span, entry: AttemptEntry, number: number, time?: number): void {
  const event: Attributes = {
    [ATTR_TELLTALE_ATTEMPT_NUMBER]: number,
    [ATTR_TELLTALE_ATTEMPT_WAIT_MS]: entry.waitMs,
    [ATTR_TELLTALE_ATTEMPT_ERROR_CLASS]: entry.errorClass,
  };
  if (entry.statusCode !== 0) event[ATTR_HTTP_RESPONSE_STATUS_CODE] = entry.statusCode;
  if (entry.durationMs !== undefined) event[ATTR_TELLTALE_ATTEMPT_DURATION_MS] = entry.durationMs;
  if (entry.fingerprint !== undefined) event[ATTR_TELLTALE_ARGS_FINGERPRINT] = entry.fingerprint;
  span.addEvent(EVENT_TELLTALE_ATTEMPT, event, time);
}

/** A retried attempt ran with arguments different from the first attempt's (F7). */
function argsChanged(attempts: readonly AttemptEntry[]): boolean {
  const first = attempts.find((a) => a.fingerprint !== undefined)?.fingerprint;
  return first !== undefined && attempts.some((a) => a.fingerprint !== undefined && a.fingerprint !== first);
}
