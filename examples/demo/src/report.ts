import { SpanStatusCode, type HrTime } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace";
import {
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DEADLINE_EXCEEDED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_RETRY_ARGS_CHANGED,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  ATTR_TELLTALE_UNHANDLED_REJECTION,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
} from "@telltale/core";
import { serviceOf } from "./remote-spans.js";
import type { FailureId } from "./scenarios.js";

/** Sees every span before sampling (kept or not), so the demo can draw the trees of the kept traces. */
export class SpanCollector implements SpanProcessor {
  readonly traces = new Map<string, ReadableSpan[]>();

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    const spans = this.traces.get(traceId);
    if (spans === undefined) this.traces.set(traceId, [span]);
    else spans.push(span);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One finding: a failure of the brief, named on the span where it happened. */
export interface Finding {
  /** Undefined for a failure that is a consequence, not one of the brief's (a step failing because a subtask did). */
  failure: FailureId | undefined;
  text: string;
}

const SOFT_ANSWER_ERRORS = new Set(["truncated", "content_filter", "refusal", "empty_output", "error_payload", "incomplete"]);
const SOFT_TOOL_ERRORS = new Set(["empty_tool_result", "tool_is_error"]);

/** What went wrong on this span, in the words of the brief's failures (reads only Telltale/semconv attributes). */
export function findingsOf(span: ReadableSpan, slowThresholdMs: number): Finding[] {
  const attributes = span.attributes;
  const findings: Finding[] = [];
  const retries = Number(attributes[ATTR_TELLTALE_RETRY_COUNT] ?? 0);
  const errorClass = attributes[ATTR_TELLTALE_ERROR_CLASS];
  const softError = attributes[ATTR_TELLTALE_SOFT_ERROR];
  const isLlmCall = span.name.startsWith("chat ");

  if (retries > 0 && isLlmCall) {
    const reasons = asList(attributes[ATTR_TELLTALE_RETRY_REASONS]).join(", ");
    const waited = Math.round(Number(attributes[ATTR_TELLTALE_RETRY_WAIT_MS] ?? 0));
    findings.push({ failure: "F1", text: `retried ${retries}× (${reasons}), waited ${waited} ms` });
  }
  if (attributes[ATTR_TELLTALE_RETRY_NON_RECOVERABLE] === true) {
    findings.push({ failure: "F3", text: `retried ${retries}× although ${asList(attributes[ATTR_TELLTALE_RETRY_REASONS]).join(", ")} is not recoverable` });
  }
  if (attributes[ATTR_TELLTALE_RETRY_ARGS_CHANGED] === true) {
    findings.push({ failure: "F7", text: "the retry changed its arguments (args_changed)" });
  }
  if (typeof errorClass === "string" && span.status.code === SpanStatusCode.ERROR) {
    const recoverable = attributes[ATTR_TELLTALE_ERROR_RECOVERABLE] === true ? "recoverable" : "not recoverable";
    const text = `failed: ${errorClass} (${recoverable})`;
    if (attributes[ATTR_TELLTALE_UNHANDLED_REJECTION] === true) {
      findings.push({ failure: "F12", text: `fire-and-forget task rejected: ${errorClass}, recorded here` });
    } else if (errorClass === "rate_limit") findings.push({ failure: "F2", text });
        else if (errorClass === "deadline_exceeded") findings.push({ failure: "F10", text });
    else if (errorClass === "budget_exceeded") findings.push({ failure: "F9", text });
    else findings.push({ failure: undefined, text });
  }
  if (typeof softError === "string") {
    const detail = attributes[ATTR_TELLTALE_SOFT_ERROR_DETAIL];
    const text = `soft error: ${softError}${typeof detail === "string" ? ` (${detail})` : ""}`;
    if (SOFT_ANSWER_ERRORS.has(softError)) findings.push({ failure: "F4", text });
    else if (SOFT_TOOL_ERRORS.has(softError)) findings.push({ failure: "F5", text });
    else if (softError === "stream_aborted") findings.push({ failure: "F15", text: `${text}, span ended` });
  }
  if (attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME] === "partial") {
    const missing = asList(attributes[ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]).join(", ");
    findings.push({ failure: "F6", text: `outcome partial: missing ${missing}` });
  }
  if (attributes[ATTR_TELLTALE_IDEMPOTENCY_MISSING] === true) {
    findings.push({ failure: "F8", text: "side effect without an idempotency key" });
  }
  if (attributes[ATTR_TELLTALE_DUPLICATE] === true) {
    findings.push({ failure: "F8", text: `duplicate side effect (key ${String(attributes[ATTR_TELLTALE_IDEMPOTENCY_KEY])})` });
  }
  if (attributes[ATTR_TELLTALE_BUDGET_EXCEEDED] === true) {
    const used = attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED];
    const limit = attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT];
    findings.push({
      failure: "F9",
      text: `token budget exceeded${used !== undefined && limit !== undefined ? ` (${used} of ${limit})` : ""}`,
    });
  }
  if (attributes[ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING] === true) {
    const timeout = attributes[ATTR_TELLTALE_TOOL_TIMEOUT_MS];
    const remaining = Number(attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS] ?? 0);
    findings.push({ failure: "F10", text: `tool timeout ${String(timeout)} ms > ${Math.round(remaining)} ms left` });
  }
  if (attributes[ATTR_TELLTALE_DEADLINE_EXCEEDED] === true && !findings.some((f) => f.failure === "F10")) {
    findings.push({ failure: "F10", text: "deadline exceeded" });
  }
  if (attributes[ATTR_TELLTALE_LATE] === true) {
    findings.push({ failure: "F11", text: `late by ${Math.round(Number(attributes[ATTR_TELLTALE_LATE_BY_MS] ?? 0))} ms` });
  }
  if (attributes[ATTR_TELLTALE_ORPHAN] === true) {
    findings.push({ failure: "F12", text: "orphan: ran with no trace context" });
  }
  if (attributes[ATTR_MESSAGING_OPERATION_TYPE] === "process" && span.parentSpanContext !== undefined) {
    findings.push({ failure: "F14", text: "consumed from the queue, joined the producer's trace" });
  }
  if (durationMs(span) >= slowThresholdMs && span.name.startsWith("execute_tool")) {
    findings.push({ failure: "F13", text: `slow: ${Math.round(durationMs(span))} ms` });
  }
  return findings;
}

export function durationMs(span: ReadableSpan): number {
  return hrToMs(span.endTime) - hrToMs(span.startTime);
}

function hrToMs(time: HrTime): number {
  return time[0] * 1_000 + time[1] / 1e6;
}

function asList(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
}

/** Draws a trace as an indented tree: span name, duration, and the failures found on each span. */
export function renderTree(spans: readonly ReadableSpan[], slowThresholdMs: number): string[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parentId = span.parentSpanContext?.spanId;
    const key = parentId !== undefined && ids.has(parentId) ? parentId : undefined;
    const list = children.get(key) ?? [];
    list.push(span);
    children.set(key, list);
  }
  for (const list of children.values()) list.sort((a, b) => hrToMs(a.startTime) - hrToMs(b.startTime));
  const lines: string[] = [];
  const rootService = serviceOf((children.get(undefined) ?? [])[0] ?? spans[0]!);
  const walk = (span: ReadableSpan, depth: number): void => {
    const findings = findingsOf(span, slowThresholdMs).filter((finding, index, all) =>
      all.findIndex((other) => other.text === finding.text) === index,
    );
    const marks = findings.map((finding) => `⚠ ${finding.failure === undefined ? "" : `${finding.failure} `}${finding.text}`).join("  ");
    // A span of another process (the MCP server) says which.
    const service = serviceOf(span);
    const where = service !== undefined && service !== rootService ? ` [${service}]` : "";
    const head = `${"  ".repeat(depth)}${depth === 0 ? "" : "└─ "}${span.name}${where} (${Math.round(durationMs(span))} ms)`;
    lines.push(marks === "" ? head : `${head}  ${marks}`);
    for (const child of children.get(span.spanContext().spanId) ?? []) walk(child, depth + 1);
  };
  for (const root of children.get(undefined) ?? []) walk(root, 0);
  return lines;
}
