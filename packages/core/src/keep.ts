import { SpanStatusCode, type Span } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  type KeepReason,
} from "./attributes.js";
import { classifyError, type ErrorClassification } from "./errors.js";
import { safely } from "./safe.js";
import { coreState } from "./state.js";

/** Marks `span` as worth keeping: `telltale.keep=true`, and `reason` added to `telltale.keep.reasons`. */
export function markKeep(span: Span, reason: KeepReason): void {
  safely("markKeep", () => {
    const registry = coreState().keepReasons;
    let reasons = registry.get(span);
    if (reasons === undefined) {
      reasons = new Set();
      registry.set(span, reasons);
    }
    if (reasons.has(reason)) return;
    reasons.add(reason);
    span.setAttribute(ATTR_TELLTALE_KEEP, true);
    span.setAttribute(ATTR_TELLTALE_KEEP_REASONS, [...reasons]);
  });
}

function exceptionOf(err: unknown): Error | string {
  if (err instanceof Error) return err;
  if (typeof err === "object" && err !== null && typeof (err as { message?: unknown }).message === "string") {
    return err as Error;
  }
  return String(err);
}

/**
 * Records `err` on `span`: `error.type`, `telltale.error.class`, `telltale.error.recoverable`,
 * `http.response.status_code` when the error carried one, an `exception` event, status ERROR, and keep.
 * Returns the classification. Never throws.
 */
export function recordError(span: Span, err: unknown, classification?: ErrorClassification): ErrorClassification {
  const found = classification ?? classifyError(err);
  safely("recordError", () => {
    span.setAttribute(ATTR_ERROR_TYPE, found.errorType);
    span.setAttribute(ATTR_TELLTALE_ERROR_CLASS, found.errorClass);
    span.setAttribute(ATTR_TELLTALE_ERROR_RECOVERABLE, found.recoverable);
    if (found.statusCode !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, found.statusCode);
    span.recordException(exceptionOf(err));
    const message = err instanceof Error ? err.message : found.errorClass;
    span.setStatus({ code: SpanStatusCode.ERROR, message });
    markKeep(span, "error");
  });
  return found;
}
