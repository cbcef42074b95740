/**
 * The AI SDK's errors, in the terms core's classifier reads. An `APICallError` keeps the provider's status in
 * `statusCode` and its parsed error body in `data` (OpenAI `{ error: { type, code } }`, Anthropic
 * `{ type: "error", error: { type } }`); a `RetryError` wraps the attempts' errors and names the last one. The view
 * passed to core keeps the error's name, message and stack, so the span's `exception` event reads as the original.
 */
import { fieldsOf, numberOf, stringOf } from "@telltale/instrumentation-common";

const VIEWS = new WeakMap<object, Error>();

/** The error that decided a failure: the last attempt's error of a `RetryError`, else `error` itself. */
export function decisiveError(error: unknown): unknown {
  const fields = fieldsOf(error);
  if (fields === undefined) return error;
  if (fields.name === "AI_RetryError" && fields.lastError !== undefined) return fields.lastError;
  return error;
}

/** The HTTP status an AI SDK error carries (`APICallError.statusCode`). */
export function statusCodeOf(error: unknown): number | undefined {
  const fields = fieldsOf(error);
  return numberOf(fields?.statusCode) ?? numberOf(fields?.status);
}

/** `error` as core's classifier understands it: status and provider error body lifted to where it looks. */
export function classifiable(error: unknown): unknown {
  const decisive = decisiveError(error);
  if (!(decisive instanceof Error)) return decisive;
  const fields = fieldsOf(decisive);
  const statusCode = numberOf(fields?.statusCode);
  if (statusCode === undefined) return decisive;
  const known = VIEWS.get(decisive);
  if (known !== undefined) return known;
  const data = fieldsOf(fields?.data);
  const body = fieldsOf(data?.error) ?? data;
  const view = new Error(decisive.message, { cause: decisive });
  view.name = decisive.name;
  if (decisive.stack !== undefined) view.stack = decisive.stack;
  const extra: Record<string, unknown> = { status: statusCode };
  if (body !== undefined) extra.error = body;
  const code = stringOf(body?.code);
  if (code !== undefined) extra.code = code;
  Object.assign(view, extra);
  VIEWS.set(decisive, view);
  return view;
}

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
