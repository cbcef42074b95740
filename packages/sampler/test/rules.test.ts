import {
  ATTR_GEN_AI_WORKFLOW_NAME,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
} from "@telltale/core";
import { compilePolicy, decideTrace, parsePolicy, type SamplingPolicyInput } from "@telltale/sampler";
import { KEEP_REASONS } from "@telltale/core";
import type { Attributes } from "@opentelemetry/api";
import { describe, expect, it } from "vitest";
import { makeSpan, spanIdOf, traceIdOf } from "./helpers.js";

const TRACE = traceIdOf(0xabc);
const noBaseline = (input: SamplingPolicyInput = {}) =>
  parsePolicy({ ...input, baseline: { percentage: 0 }, rules: { slow: { thresholdMs: 5000 }, ...input.rules } });

/** Root (0-1000 ms) plus one child carrying the attributes / error under test. */
function traceWith(child: { attributes?: Attributes; error?: boolean; endMs?: number }) {
  return [
    makeSpan({ traceId: TRACE, spanId: spanIdOf(2), parentSpanId: spanIdOf(1), startMs: 100, ...child }),
    makeSpan({ traceId: TRACE, spanId: spanIdOf(1), startMs: 0, endMs: 1000 }),
  ];
}

describe("keep rules (one evaluator per rule)", () => {
  it("drops a healthy trace when the baseline is 0 %", () => {
    expect(decideTrace(noBaseline(), traceWith({}))).toEqual({ keep: false, reasons: [] });
  });

  it.each([
    ["error", { error: true }],
    ["budget_exceeded", { attributes: { [ATTR_TELLTALE_BUDGET_EXCEEDED]: true } }],
    ["partial", { attributes: { [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "partial" } }],
    ["soft_error", { attributes: { [ATTR_TELLTALE_SOFT_ERROR]: "refusal" } }],
    ["retried", { attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 1 } }],
    ["late", { attributes: { [ATTR_TELLTALE_LATE]: true } }],
    ["orphan", { attributes: { [ATTR_TELLTALE_ORPHAN]: true } }],
    ["duplicate", { attributes: { [ATTR_TELLTALE_DUPLICATE]: true } }],
    ["keep", { attributes: { [ATTR_TELLTALE_KEEP]: true } }],
  ] as const)("keeps for %s", (reason, child) => {
    expect(decideTrace(noBaseline(), traceWith(child))).toEqual({ keep: true, reasons: [reason] });
  });

  it.each([
    ["outcome ok", { [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "ok" }],
    ["budget.exceeded=false", { [ATTR_TELLTALE_BUDGET_EXCEEDED]: false }],
    ["keep as a string", { [ATTR_TELLTALE_KEEP]: "true" }],
    ["retry.count 0", { [ATTR_TELLTALE_RETRY_COUNT]: 0 }],
    ["retry.count as a double (the collector reads integers only)", { [ATTR_TELLTALE_RETRY_COUNT]: 1.5 }],
  ])("does not keep for %s", (_label, attributes) => {
    expect(decideTrace(noBaseline(), traceWith({ attributes }))).toEqual({ keep: false, reasons: [] });
  });

  it("retries at or over min", () => {
    const policy = noBaseline({ rules: { retries: { min: 3 } } });
    expect(decideTrace(policy, traceWith({ attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 2 } })).keep).toBe(false);
    expect(decideTrace(policy, traceWith({ attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 3 } })).reasons).toEqual(["retried"]);
  });

  it("slow: whole-millisecond trace duration strictly over the threshold", () => {
    const policy = noBaseline();
    const at = (endMs: number) => [makeSpan({ traceId: TRACE, spanId: spanIdOf(1), startMs: 0, endMs })];
    expect(decideTrace(policy, at(5000)).keep).toBe(false);
    expect(decideTrace(policy, at(5001)).reasons).toEqual(["slow"]);
    // The extent spans all spans: a child ending after its root makes the trace longer.
    expect(decideTrace(policy, traceWith({ endMs: 6000 })).reasons).toEqual(["slow"]);
  });

  it("slow: per-workflow thresholds (in-process only) override the global one", () => {
    const policy = noBaseline({ rules: { slow: { thresholdMs: 5000, workflows: { ingest: 60000, quick: 500 } } } });
    const workflow = (name: string, endMs: number) => [
      makeSpan({ traceId: TRACE, spanId: spanIdOf(1), endMs, attributes: { [ATTR_GEN_AI_WORKFLOW_NAME]: name } }),
    ];
    expect(decideTrace(policy, workflow("ingest", 30000)).keep).toBe(false);
    expect(decideTrace(policy, workflow("ingest", 60001)).reasons).toEqual(["slow"]);
    expect(decideTrace(policy, workflow("quick", 600)).reasons).toEqual(["slow"]);
    expect(decideTrace(policy, workflow("other", 5001)).reasons).toEqual(["slow"]);
  });

  it("disabled rules do not keep", () => {
    const policy = noBaseline({ rules: { error: false, late: false } });
    expect(decideTrace(policy, traceWith({ error: true, attributes: { [ATTR_TELLTALE_LATE]: true } })).keep).toBe(false);
  });

  it("lists every matching reason in KEEP_REASONS order", () => {
    const spans = traceWith({
      error: true,
      endMs: 7000,
      attributes: { [ATTR_TELLTALE_KEEP]: true, [ATTR_TELLTALE_RETRY_COUNT]: 2, [ATTR_TELLTALE_SOFT_ERROR]: "truncated" },
    });
    expect(decideTrace(noBaseline(), spans).reasons).toEqual(["error", "soft_error", "retried", "slow", "keep"]);
  });

  it("the baseline keeps only traces no rule kept, by trace id", () => {
    const all = parsePolicy({ baseline: { percentage: 100 } });
    expect(decideTrace(all, traceWith({})).reasons).toEqual(["baseline"]);
    expect(decideTrace(all, traceWith({ error: true })).reasons).toEqual(["error"]);
  });

  it("the fused per-span check agrees with the individual span evaluators", () => {
    const policies = [noBaseline(), noBaseline({ rules: { error: false, retries: { min: 2 }, keep: false } })];
    const spans = [
      ...traceWith({ error: true, attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 2, [ATTR_TELLTALE_LATE]: true } }),
      ...traceWith({ attributes: { [ATTR_TELLTALE_KEEP]: true, [ATTR_TELLTALE_SOFT_ERROR]: "refusal" } }),
      ...traceWith({ attributes: { [ATTR_TELLTALE_RETRY_COUNT]: 1, [ATTR_TELLTALE_ORPHAN]: true, [ATTR_TELLTALE_DUPLICATE]: true } }),
      ...traceWith({ attributes: { [ATTR_TELLTALE_BUDGET_EXCEEDED]: true, [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "partial" } }),
    ];
    for (const policy of policies) {
      const compiled = compilePolicy(policy);
      for (const span of spans) {
        const expected = compiled.spanEvaluators
          .filter((evaluator) => evaluator.matches(span))
          .reduce((mask, evaluator) => mask | (1 << KEEP_REASONS.indexOf(evaluator.reason)), 0);
        expect(compiled.spanMask(span)).toBe(expected);
      }
    }
  });
});
