import type { HrTime } from "@opentelemetry/api";
import type { ReadableSpan, SpanProcessor } from "@opentelemetry/sdk-trace";
import {
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  ATTR_TELLTALE_UNHANDLED_REJECTION,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
} from "@telltale/core/attributes";
import { spanKeepReasons } from "@telltale/sampler/explain";
import { serviceOf } from "./remote-spans.js";
import type { FailureId } from "./scenarios.js";

/** Numbers every span as it ends, before sampling, so the report can walk a kept trace in the order its spans ended:
 * the sampler exports a trace's spans by priority (an error's spans first), and end timestamps of spans can be a
 * fraction of a millisecond out of order (each span converts the clock with its own offset). */
export class EndOrder implements SpanProcessor {
  private readonly sequence = new Map<string, number>();
  private next = 0;

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    this.sequence.set(span.spanContext().spanId, this.next++);
  }

  /** Compares two spans by the order they ended. */
  readonly compare = (a: ReadableSpan, b: ReadableSpan): number => this.of(a) - this.of(b);

  private of(span: ReadableSpan): number {
    return this.sequence.get(span.spanContext().spanId) ?? Number.MAX_SAFE_INTEGER;
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

/** What went wrong on this span, in the words of the brief's failures. Which keep reasons the span shows comes from
 * the sampler's rule table (`spanKeepReasons`); the rest reads only Telltale/semconv attributes. */
export function findingsOf(span: ReadableSpan, slowThresholdMs: number): Finding[] {
  const attributes = span.attributes;
  const reasons = new Set(spanKeepReasons(span));
  const findings: Finding[] = [];
  const retries = Number(attributes[ATTR_TELLTALE_RETRY_COUNT] ?? 0);
  const errorClass = attributes[ATTR_TELLTALE_ERROR_CLASS];
  const softError = attributes[ATTR_TELLTALE_SOFT_ERROR];
  const isLlmCall = span.name.startsWith("chat ");

  if (reasons.has("retried") && isLlmCall) {
    const retryReasons = asList(attributes[ATTR_TELLTALE_RETRY_REASONS]).join(", ");
    const waited = Math.round(Number(attributes[ATTR_TELLTALE_RETRY_WAIT_MS] ?? 0));
    findings.push({ failure: "F1", text: `retried ${retries}× (${retryReasons}), waited ${waited} ms` });
  }
  if (reasons.has("non_recoverable_retry")) {
    findings.push({ failure: "F3", text: `retried ${retries}× although ${asList(attributes[ATTR_TELLTALE_RETRY_REASONS]).join(", ")} is not recoverable` });
  }
  if (reasons.has("args_changed")) {
    findings.push({ failure: "F7", text: "the retry changed its arguments (args_changed)" });
  }
  if (reasons.has("error") && typeof errorClass === "string") {
    const recoverable = attributes[ATTR_TELLTALE_ERROR_RECOVERABLE] === true ? "recoverable" : "not recoverable";
    const text = `failed: ${errorClass} (${recoverable})`;
    if (attributes[ATTR_TELLTALE_UNHANDLED_REJECTION] === true) {
      findings.push({ failure: "F12", text: `fire-and-forget task rejected: ${errorClass}, recorded here` });
    } else if (errorClass === "rate_limit") findings.push({ failure: "F2", text });
    else if (errorClass === "deadline_exceeded") findings.push({ failure: "F10", text });
    else if (errorClass === "budget_exceeded") findings.push({ failure: "F9", text });
    else findings.push({ failure: undefined, text });
  }
  if (reasons.has("soft_error") && typeof softError === "string") {
    const detail = attributes[ATTR_TELLTALE_SOFT_ERROR_DETAIL];
    const text = `soft error: ${softError}${typeof detail === "string" ? ` (${detail})` : ""}`;
    if (SOFT_ANSWER_ERRORS.has(softError)) findings.push({ failure: "F4", text });
    else if (SOFT_TOOL_ERRORS.has(softError)) findings.push({ failure: "F5", text });
    else if (softError === "stream_aborted") findings.push({ failure: "F15", text: `${text}, span ended` });
  }
  if (reasons.has("partial")) {
    const missing = asList(attributes[ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]).join(", ");
    findings.push({ failure: "F6", text: `outcome partial: missing ${missing}` });
  }
  if (reasons.has("idempotency_missing")) {
    findings.push({ failure: "F8", text: "side effect without an idempotency key" });
  }
  if (reasons.has("duplicate")) {
    findings.push({ failure: "F8", text: `duplicate side effect (key ${String(attributes[ATTR_TELLTALE_IDEMPOTENCY_KEY])})` });
  }
  if (reasons.has("budget_exceeded")) {
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
  if (reasons.has("deadline_exceeded") && !findings.some((f) => f.failure === "F10")) {
    findings.push({ failure: "F10", text: "deadline exceeded" });
  }
  if (reasons.has("late")) {
    findings.push({ failure: "F11", text: `late by ${Math.round(Number(attributes[ATTR_TELLTALE_LATE_BY_MS] ?? 0))} ms` });
  }
  if (reasons.has("orphan")) {
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
