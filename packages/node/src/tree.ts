/**
 * Renders a trace's spans as a readable tree, with what went wrong written on the span where it happened. Used by
 * the console summary exporter and the demo.
 */
import type { Attributes } from "@opentelemetry/api";
import { SpanStatusCode } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DEADLINE_EXCEEDED,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_RETRY_ARGS_CHANGED,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_SAMPLING_REASONS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_UNHANDLED_REJECTION,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
} from "@telltale/core";

export interface TraceTreeOptions {
  /** Extra labels for a span (e.g. the demo's failure ids); shown before the built-in findings. */
  annotate?: (span: ReadableSpan) => string[];
  /** Show span durations. Default true; off for output that must be byte-for-byte reproducible. */
  durations?: boolean;
}

function hrToMs(time: readonly [number, number]): number {
  return time[0] * 1_000 + time[1] / 1_000_000;
}

function list(value: Attributes[string]): string[] {
  return Array.isArray(value) ? value.map((item) => String(item)) : value === undefined ? [] : [String(value)];
}

/** What went wrong on one span, in words, from the Telltale attributes on it (empty for a healthy span). */
export function describeSpanFindings(span: ReadableSpan): string[] {
  const attributes = span.attributes;
  const findings: string[] = [];
  const errorClass = attributes[ATTR_TELLTALE_ERROR_CLASS];
  if (span.status.code === SpanStatusCode.ERROR || errorClass !== undefined) {
    const recoverable = attributes[ATTR_TELLTALE_ERROR_RECOVERABLE];
    findings.push(`error ${String(errorClass ?? "unknown")}${recoverable === false ? " (not recoverable)" : ""}`);
  }
  const retries = attributes[ATTR_TELLTALE_RETRY_COUNT];
  if (typeof retries === "number" && retries > 0) {
    const statuses = list(attributes[ATTR_TELLTALE_ATTEMPT_STATUS_CODES]);
    findings.push(`retried ${retries}×${statuses.length > 0 ? ` (${statuses.join(", ")})` : ""}`);
  }
  if (attributes[ATTR_TELLTALE_RETRY_NON_RECOVERABLE] === true) findings.push("non-recoverable error retried");
  if (attributes[ATTR_TELLTALE_RETRY_ARGS_CHANGED] === true) findings.push("retry passed with changed arguments");
  const softError = attributes[ATTR_TELLTALE_SOFT_ERROR];
  if (softError !== undefined) {
    const detail = attributes[ATTR_TELLTALE_SOFT_ERROR_DETAIL] ?? list(attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS])[0];
    findings.push(`soft error ${String(softError)}${detail !== undefined ? ` (${String(detail)})` : ""}`);
  }
  if (attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME] === "partial") {
    findings.push(`partial: missing ${list(attributes[ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]).join(", ")}`);
  }
  if (attributes[ATTR_TELLTALE_IDEMPOTENCY_MISSING] === true) findings.push("side effect without idempotency key");
  if (attributes[ATTR_TELLTALE_DUPLICATE] === true) findings.push("duplicate side effect");
  if (attributes[ATTR_TELLTALE_BUDGET_EXCEEDED] === true) {
    const used = attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED];
    findings.push(`budget exceeded${typeof used === "number" ? ` (${used} tokens)` : ""}`);
  }
  if (attributes[ATTR_TELLTALE_DEADLINE_EXCEEDED] === true) findings.push("deadline exceeded");
  if (attributes[ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING] === true) findings.push("tool timeout outlives the deadline");
  if (attributes[ATTR_TELLTALE_LATE] === true) {
    const by = attributes[ATTR_TELLTALE_LATE_BY_MS];
    findings.push(`late${typeof by === "number" ? ` by ${Math.round(by)} ms` : ""}`);
  }
  if (attributes[ATTR_TELLTALE_ORPHAN] === true) findings.push("orphan (no trace context)");
  if (attributes[ATTR_TELLTALE_UNHANDLED_REJECTION] === true) findings.push("unhandled rejection");
  return findings;
}

/** Lines of a tree of `spans` (one trace): parents before children, siblings by start time, then by name. */
export function formatTraceTree(spans: readonly ReadableSpan[], options: TraceTreeOptions = {}): string[] {
  const showDurations = options.durations ?? true;
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parentId = span.parentSpanContext?.spanId;
    const key = parentId !== undefined && byId.has(parentId) ? parentId : undefined;
    const siblings = children.get(key) ?? [];
    siblings.push(span);
    children.set(key, siblings);
  }
  const order = (a: ReadableSpan, b: ReadableSpan): number =>
    hrToMs(a.startTime) - hrToMs(b.startTime) || a.name.localeCompare(b.name);

  const lines: string[] = [];
  const visit = (span: ReadableSpan, prefix: string, connector: string): void => {
    const labels = [...(options.annotate?.(span) ?? []), ...describeSpanFindings(span)];
    const reasons = list(span.attributes[ATTR_TELLTALE_SAMPLING_REASONS]);
    const duration = showDurations ? `  ${Math.round(hrToMs(span.duration))} ms` : "";
    const kept = reasons.length > 0 ? `  [kept: ${reasons.join(", ")}]` : "";
    const findings = labels.length > 0 ? `  ← ${labels.join("; ")}` : "";
    lines.push(`${prefix}${connector}${span.name}${duration}${findings}${kept}`);
    const kids = [...(children.get(span.spanContext().spanId) ?? [])].sort(order);
    const childPrefix = prefix + (connector === "" ? "" : connector === "└─ " ? "   " : "│  ");
    kids.forEach((child, index) => visit(child, childPrefix, index === kids.length - 1 ? "└─ " : "├─ "));
  };
  for (const root of [...(children.get(undefined) ?? [])].sort(order)) visit(root, "", "");
  return lines;
}
