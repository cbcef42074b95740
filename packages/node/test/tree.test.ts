// The readable tree: parents before children, siblings in start order, findings on the span where they happened.
import { ROOT_CONTEXT, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";
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
} from "@telltale/core/attributes";
import { describeSpanFindings, formatTraceTree } from "@telltale/node";
import { KEEP_RULES, MARKED_REASONS } from "@telltale/sampler/explain";
import { expect, it } from "vitest";

// Epoch milliseconds: the SDK reads a number at or below performance.now() as a time since the process started, so
// small times would mean different clocks depending on how long the test process has been up.
const at = (ms: number) => 1_700_000_000_000 + ms;

it("renders a trace with each failure on its own span", async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer("tree-test");
  const root = tracer.startSpan("invoke_agent triage", {
    startTime: at(1_000),
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
    { startTime: at(1_300), attributes: { [ATTR_TELLTALE_IDEMPOTENCY_MISSING]: true, [ATTR_TELLTALE_SOFT_ERROR]: "empty_tool_result" } },
    inRoot,
  );
  const chat = tracer.startSpan(
    "chat gpt-4o-mini",
    { startTime: at(1_100), attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 2, [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [429, 429, 200] } },
    inRoot,
  );
  const spawned = tracer.startSpan(
    "spawn notify",
    {
      startTime: at(1_400),
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
  chat.end(at(1_250));
  tool.end(at(1_350));
  root.end(at(1_500));
  spawned.end(at(1_620));

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

it("names every keep reason a span can show, from the sampler's rule table (a new rule needs no change here)", () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer("tree-test");
  const cases: [string, Attributes, boolean][] = [
    ...KEEP_RULES.flatMap((rule): [string, Attributes, boolean][] => {
      const match = rule.match;
      switch (match.kind) {
        case "status_error":
          return [[rule.reason, {}, true]];
        case "boolean_true":
          // The keep mark itself is named by the reasons it carries, not as a finding.
          return rule.reason === "keep" ? [] : [[rule.reason, { [match.attribute]: true }, false]];
        case "string_equals":
          return [[rule.reason, { [match.attribute]: match.value }, false]];
        case "present":
          return [[rule.reason, { [match.attribute]: "truncated" }, false]];
        case "integer_at_least":
          return [[rule.reason, { [match.attribute]: 1 }, false]];
        case "duration_over":
          return []; // a trace rule: shown as [kept: slow] on the root
      }
    }),
    ...MARKED_REASONS.map((marked): [string, Attributes, boolean] => [marked.reason, { [marked.attribute]: true }, false]),
  ];
  for (const [reason, attributes, failed] of cases) {
    const span = tracer.startSpan(`span ${reason}`, { attributes });
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    const findings = describeSpanFindings(exporter.getFinishedSpans().at(-1)!);
    expect(findings, reason).toHaveLength(1);
    expect(findings[0], reason).toMatch(/\w/);
  }
  expect(cases.map(([reason]) => reason).sort()).toEqual(
    ["error", "budget_exceeded", "partial", "soft_error", "retried", "late", "orphan", "duplicate", ...MARKED_REASONS.map((marked) => marked.reason)].sort(),
  );
});
