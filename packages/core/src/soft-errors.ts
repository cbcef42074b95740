/** Failures that raised nothing (F4, F5): how one is written on the span where it happened, whatever made it. */
import type { Attributes, Span } from "@opentelemetry/api";
import { ATTR_GEN_AI_OPERATION_NAME, ATTR_TELLTALE_SOFT_ERROR, ATTR_TELLTALE_SOFT_ERROR_DETAIL, type SoftErrorKind } from "./attributes.js";
import { markKeep } from "./keep.js";
import { record, type LlmMetrics } from "./metrics.js";

/**
 * `telltale.soft_error` and its detail (when there is one) on `span`, the keep mark, and one `telltale.soft_errors`
 * measurement for `operation` (`gen_ai.operation.name`) on `target` (default: core's instruments).
 */
export function markSoftError(span: Span, kind: SoftErrorKind, detail: string | undefined, operation: string | undefined, target?: LlmMetrics): void {
  span.setAttribute(ATTR_TELLTALE_SOFT_ERROR, kind);
  if (detail !== undefined && detail !== "") span.setAttribute(ATTR_TELLTALE_SOFT_ERROR_DETAIL, detail);
  markKeep(span, "soft_error");
  const attributes: Attributes = { [ATTR_TELLTALE_SOFT_ERROR]: kind };
  if (operation !== undefined) attributes[ATTR_GEN_AI_OPERATION_NAME] = operation;
  record("softErrors", 1, attributes, target);
}
