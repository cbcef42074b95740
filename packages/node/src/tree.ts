/**
 * Renders a trace's spans as a readable tree, with what went wrong written on the span where it happened. Used by
 * the console summary exporter and the demo.
 */
import type { Attributes } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import {
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SAMPLING_REASONS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_UNHANDLED_REJECTION,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
  type KeepReason,
} from "@telltale/core/attributes";
import { REASON_READS, spanKeepReasons } from "@telltale/sampler/explain";

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

/** A finding: a keep reason the span shows, or one of two facts that are no keep reason. */
type Finding = KeepReason | "timeout_exceeds_deadline" | "unhandled_rejection";

/** How the tree words each finding, with the detail the span holds. Which keep reasons a span shows is decided by
 * the sampler's rule table (`spanKeepReasons`); a reason without words here is written as the table reads it. */
const WORDS: Partial<Record<Finding, (attributes: Attributes) => string>> = {
  error: (attributes) =>
    `error ${String(attributes[ATTR_TELLTALE_ERROR_CLASS] ?? "unknown")}${attributes[ATTR_TELLTALE_ERROR_RECOVERABLE] === false ? " (not recoverable)" : ""}`,
  retried: (attributes) => {
    const statuses = list(attributes[ATTR_TELLTALE_ATTEMPT_STATUS_CODES]);
    return `retried ${String(attributes[ATTR_TELLTALE_RETRY_COUNT])}×${statuses.length > 0 ? ` (${statuses.join(", ")})` : ""}`;
  },
  non_recoverable_retry: () => "non-recoverable error retried",
  args_changed: () => "retry passed with changed arguments",
  soft_error: (attributes) => {
    const detail = attributes[ATTR_TELLTALE_SOFT_ERROR_DETAIL] ?? list(attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS])[0];
    return `soft error ${String(attributes[ATTR_TELLTALE_SOFT_ERROR])}${detail !== undefined ? ` (${String(detail)})` : ""}`;
  },
  partial: (attributes) => `partial: missing ${list(attributes[ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]).join(", ")}`,
  idempotency_missing: () => "side effect without idempotency key",
  duplicate: () => "duplicate side effect",
  budget_exceeded: (attributes) => {
    const used = attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED];
    return `budget exceeded${typeof used === "number" ? ` (${used} tokens)` : ""}`;
  },
  deadline_exceeded: () => "deadline exceeded",
  timeout_exceeds_deadline: () => "tool timeout outlives the deadline",
  late: (attributes) => {
    const by = attributes[ATTR_TELLTALE_LATE_BY_MS];
    return `late${typeof by === "number" ? ` by ${Math.round(by)} ms` : ""}`;
  },
  orphan: () => "orphan (no trace context)",
  unhandled_rejection: () => "unhandled rejection",
};

/** The order findings are listed in: the failure first, then what went wrong around it (a reason not listed here
 * comes last). */
const ORDER: readonly Finding[] = [
  "error",
  "retried",
  "non_recoverable_retry",
  "args_changed",
  "soft_error",
  "partial",
  "idempotency_missing",
  "duplicate",
  "budget_exceeded",
  "deadline_exceeded",
  "timeout_exceeds_deadline",
  "late",
  "orphan",
  "unhandled_rejection",
];

/** What went wrong on one span, in words (empty for a healthy span). */
export function describeSpanFindings(span: ReadableSpan): string[] {
  const attributes = span.attributes;
  const found = new Set<Finding>(spanKeepReasons(span));
  if (attributes[ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING] === true) found.add("timeout_exceeds_deadline");
  if (attributes[ATTR_TELLTALE_UNHANDLED_REJECTION] === true) found.add("unhandled_rejection");
  const ordered = [...ORDER.filter((finding) => found.has(finding)), ...[...found].filter((finding) => !ORDER.includes(finding))];
  return ordered.map((finding) => WORDS[finding]?.(attributes) ?? REASON_READS[finding as KeepReason]);
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
