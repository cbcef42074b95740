import {
  ATTR_GEN_AI_WORKFLOW_NAME,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
} from "@telltale/core/attributes";
import { decideTrace } from "@telltale/sampler/conformance";
import {
  defaultPolicy,
  parsePolicy,
  renderCollectorConfig,
  type KeepRules,
  type SamplingPolicyInput,
} from "@telltale/sampler";
import { KEEP_RULES, MARKED_REASONS, REASON_READS, spanKeepReasons, type KeepRule } from "@telltale/sampler/explain";
import { KEEP_REASONS } from "@telltale/core/attributes";
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

  it("matches rule attributes by name only: names of the same length, values of another type do not keep", () => {
    // gen_ai.request.model has the length of telltale.retry.count; telltale.keep that of telltale.late.
    for (const attributes of [
      { "gen_ai.request.model": 3, "gen_ai.provider.name": true },
      { [ATTR_TELLTALE_KEEP]: false, [ATTR_TELLTALE_LATE]: "true", [ATTR_TELLTALE_RETRY_COUNT]: "3" },
    ]) {
      expect(decideTrace(noBaseline(), traceWith({ attributes }))).toEqual({ keep: false, reasons: [] });
    }
    const both = { [ATTR_TELLTALE_KEEP]: true, [ATTR_TELLTALE_LATE]: true, "gen_ai.request.model": "gpt-4o" };
    expect(decideTrace(noBaseline(), traceWith({ attributes: both })).reasons).toEqual(["late", "keep"]);
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

  it("a keep mark is counted under the reasons it names, valid ones only", () => {
    const marked = traceWith({
      attributes: { [ATTR_TELLTALE_KEEP]: true, [ATTR_TELLTALE_KEEP_REASONS]: ["deadline_exceeded", "args_changed", "bogus"] },
    });
    expect(decideTrace(noBaseline(), marked).reasons).toEqual(["deadline_exceeded", "args_changed", "keep"]);
    // With the keep rule off, the mark keeps nothing (the reasons ride on the keep rule).
    expect(decideTrace(noBaseline({ rules: { keep: false } }), marked)).toEqual({ keep: false, reasons: [] });
  });
});

describe("the rule table drives both engines and the words", () => {
  /** A child span that matches `rule` and nothing else (under the test policy: slow over 5 s, retries >= 1). */
  function matching(rule: KeepRule) {
    const match = rule.match;
    switch (match.kind) {
      case "status_error":
        return traceWith({ error: true });
      case "duration_over":
        return traceWith({ endMs: 6000 });
      case "boolean_true":
        return traceWith({ attributes: { [match.attribute]: true } });
      case "string_equals":
        return traceWith({ attributes: { [match.attribute]: match.value } });
      case "present":
        return traceWith({ attributes: { [match.attribute]: "anything" } });
      case "integer_at_least":
        return traceWith({ attributes: { [match.attribute]: 1 } });
    }
  }

  it.each(KEEP_RULES.map((rule) => [rule.policyKey, rule] as const))(
    "rules.%s: keeps in-process for its reason, renders as its collector policy, is off when disabled",
    (policyKey, rule) => {
      expect(decideTrace(noBaseline(), matching(rule)).reasons).toEqual([rule.reason]);
      const rendered = renderCollectorConfig(noBaseline()).policies.find((policy) => policy.name === `telltale-${rule.collectorName}`);
      const collectorType = {
        status_error: "status_code",
        duration_over: "latency",
        boolean_true: "boolean_attribute",
        string_equals: "string_attribute",
        present: "ottl_condition",
        integer_at_least: "numeric_attribute",
      }[rule.match.kind];
      expect(rendered?.type).toBe(collectorType);
      if ("attribute" in rule.match) expect(JSON.stringify(rendered)).toContain(rule.match.attribute);
      const disabled = noBaseline({ rules: { [policyKey]: false } });
      expect(decideTrace(disabled, matching(rule))).toEqual({ keep: false, reasons: [] });
      expect(renderCollectorConfig(disabled).policies.map((policy) => policy.name)).not.toContain(`telltale-${rule.collectorName}`);
    },
  );

  // Span rules only (slow needs the trace), and not keep: a keep mark is named by the reasons it carries.
  it.each(KEEP_RULES.filter((rule) => rule.match.kind !== "duration_over" && rule.reason !== "keep").map((rule) => [rule.reason, rule] as const))(
    "spanKeepReasons names %s on the span matching its rule, and nothing on its healthy sibling",
    (reason, rule) => {
      const [matched, root] = matching(rule);
      expect([spanKeepReasons(matched!), spanKeepReasons(root!)]).toEqual([[reason], []]);
    },
  );

  it.each(MARKED_REASONS.map((marked) => [marked.reason, marked] as const))(
    "spanKeepReasons names %s from its attribute, with or without the keep mark",
    (reason, marked) => {
      const bare = makeSpan({ traceId: TRACE, spanId: spanIdOf(2), attributes: { [marked.attribute]: true } });
      const withMark = makeSpan({
        traceId: TRACE,
        spanId: spanIdOf(3),
        attributes: { [marked.attribute]: true, [ATTR_TELLTALE_KEEP]: true, [ATTR_TELLTALE_KEEP_REASONS]: [reason] },
      });
      expect([spanKeepReasons(bare), spanKeepReasons(withMark)]).toEqual([[reason], [reason]]);
    },
  );

  it("spanKeepReasons lists a keep mark's reasons, in KEEP_REASONS order, without keep or baseline", () => {
    const marked = makeSpan({
      traceId: TRACE,
      spanId: spanIdOf(2),
      error: true,
      attributes: { [ATTR_TELLTALE_KEEP]: true, [ATTR_TELLTALE_KEEP_REASONS]: ["args_changed", "baseline", "keep", "deadline_exceeded"] },
    });
    expect(spanKeepReasons(marked)).toEqual(["error", "deadline_exceeded", "args_changed"]);
    expect(spanKeepReasons(makeSpan({ traceId: TRACE, spanId: spanIdOf(3), attributes: { [ATTR_TELLTALE_KEEP]: true } }))).toEqual([]);
  });

  it("covers every rule of the policy once, and every keep reason has words", () => {
    // Every key of the KeepRules type (the compiler holds this literal to it) has exactly one entry in the table.
    const everyKey: Record<keyof KeepRules, true> = {
      error: true,
      slow: true,
      budgetExceeded: true,
      partial: true,
      softError: true,
      retries: true,
      late: true,
      orphan: true,
      duplicate: true,
      keep: true,
    };
    expect(KEEP_RULES.map((rule) => rule.policyKey).sort()).toEqual(Object.keys(everyKey).sort());
    expect(Object.keys(defaultPolicy.rules)).toEqual(KEEP_RULES.map((rule) => rule.policyKey));
    for (const reason of KEEP_REASONS) expect(REASON_READS[reason]).toMatch(/\w/);
    // A reason is a rule or a marked reason, never both; only baseline is neither.
    const ruled = KEEP_RULES.map((rule) => rule.reason);
    const marked = MARKED_REASONS.map((entry) => entry.reason);
    expect([...ruled, ...marked, "baseline"].sort()).toEqual([...KEEP_REASONS].sort());
  });
});
