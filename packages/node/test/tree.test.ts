// The readable tree: parents before children, siblings in start order, findings on the span where they happened.
import { ROOT_CONTEXT, SpanStatusCode, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import {
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SAMPLING_REASONS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_UNHANDLED_REJECTION,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
} from "@telltale/core";
import { describeSpanFindings, formatTraceTree } from "@telltale/node";
import { expect, it } from "vitest";

it("renders a trace with each failure on its own span", async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer("tree-test");
  const root = tracer.startSpan("invoke_agent triage", {
    startTime: 1_000,
    attributes: {
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "partial",
      [ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]: ["act", "report"],
      [ATTR_TELLTALE_SAMPLING_REASONS]: ["partial", "retried"],
    },
  });
  const inRoot = trace.setSpan(ROOT_CONTEXT, root);
  // Started second but listed first: siblings are ordered by start time, not by end or creation order.
  const tool = tracer.startSpan(
    "execute_tool create_ticket",
    { startTime: 1_300, attributes: { [ATTR_TELLTALE_IDEMPOTENCY_MISSING]: true, [ATTR_TELLTALE_SOFT_ERROR]: "empty_tool_result" } },
    inRoot,
  );
  const chat = tracer.startSpan(
    "chat gpt-4o-mini",
    { startTime: 1_100, attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 2, [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [429, 429, 200] } },
    inRoot,
  );
  const spawned = tracer.startSpan(
    "spawn notify",
    {
      startTime: 1_400,
      attributes: {
        [ATTR_TELLTALE_LATE]: true,
        [ATTR_TELLTALE_LATE_BY_MS]: 120.4,
        [ATTR_TELLTALE_UNHANDLED_REJECTION]: true,
        [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
      },
    },
    trace.setSpan(ROOT_CONTEXT, tool),
  );
  spawned.setStatus({ code: SpanStatusCode.ERROR });
  chat.end(1_250);
  tool.end(1_350);
  root.end(1_500);
  spawned.end(1_620);

  const spans = exporter.getFinishedSpans();
  expect(formatTraceTree(spans, { durations: false })).toEqual([
    "invoke_agent triage  ← partial: missing act, report  [kept: partial, retried]",
    "├─ chat gpt-4o-mini  ← retried 2× (429, 429, 200)",
    "└─ execute_tool create_ticket  ← soft error empty_tool_result; side effect without idempotency key",
    "   └─ spawn notify  ← error rate_limit; late by 120 ms; unhandled rejection",
  ]);
  expect(formatTraceTree(spans, { annotate: (span) => (span.name === "chat gpt-4o-mini" ? ["F1"] : []) })[1]).toBe(
    "├─ chat gpt-4o-mini  150 ms  ← F1; retried 2× (429, 429, 200)",
  );
  const healthy = tracer.startSpan("step plan");
  healthy.end();
  expect(describeSpanFindings(exporter.getFinishedSpans().at(-1)!)).toEqual([]);
});
