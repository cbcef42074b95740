/**
 * What the AI SDK itself does with an error: whether its retry loop sends the request again, how long it waits first,
 * and whether the error is an abort. (How an error is classified is core's `classifyError`, which reads the AI SDK's
 * `APICallError` and `RetryError` itself.)
 */
import { fieldsOf, stringOf } from "@telltale/instrumentation-common";

/** The AI SDK would retry this error (its own rule: an `APICallError` that says it is retryable). */
export function isRetryableBySdk(error: unknown): boolean {
  return fieldsOf(error)?.isRetryable === true;
}

/** An abort: the DOM `AbortError`, or the abort signal's own reason. */
export function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted === true && error === signal.reason) return true;
  const name = stringOf(fieldsOf(error)?.name);
  return name === "AbortError" || name === "ResponseAborted" || name === "TimeoutError";
}

const INITIAL_RETRY_DELAY_MS = 2000;
const RETRY_BACKOFF_FACTOR = 2;
const RETRY_AFTER_CEILING_MS = 60_000;

/**
 * The wait the AI SDK's retry loop takes after the `attempt`-th attempt failed with `error` (its documented rule:
 * `retry-after-ms`, else `retry-after`, when between 0 and 60 s, else exponential backoff from 2 s, doubling).
 */
export function predictedRetryDelayMs(error: unknown, attempt: number): number {
  const backoff = INITIAL_RETRY_DELAY_MS * RETRY_BACKOFF_FACTOR ** Math.max(0, attempt - 1);
  const headers = fieldsOf(fieldsOf(error)?.responseHeaders);
  if (headers === undefined) return backoff;
  let ms: number | undefined;
  const retryAfterMs = Number.parseFloat(stringOf(headers["retry-after-ms"]) ?? "");
  if (!Number.isNaN(retryAfterMs)) ms = retryAfterMs;
  const retryAfter = stringOf(headers["retry-after"]);
  if (ms === undefined && retryAfter !== undefined) {
    const seconds = Number.parseFloat(retryAfter);
    ms = Number.isNaN(seconds) ? Date.parse(retryAfter) - Date.now() : seconds * 1000;
  }
  if (ms !== undefined && !Number.isNaN(ms) && ms >= 0 && (ms < RETRY_AFTER_CEILING_MS || ms < backoff)) return ms;
  return backoff;
}
