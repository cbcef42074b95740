import { describe, expect, it } from "vitest";
import { context, trace } from "@opentelemetry/api";
import {
  BudgetExceededError,
  setDefaultBudget,
  setMaxTrackedTraces,
  setPrices,
  step,
  trackedTraceCount,
  workflow,
} from "@telltale/core";
import { budgetCheck, startLlmCall } from "@telltale/core/instrumentation";
import {
  ATTR_TELLTALE_BUDGET_COST_USD_LIMIT,
  ATTR_TELLTALE_BUDGET_COST_USD_USED,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_MODE,
  ATTR_TELLTALE_BUDGET_TOKENS_LIMIT,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  EVENT_TELLTALE_BUDGET_EXCEEDED,
  METRIC_TELLTALE_BUDGET_EXCEEDED,
} from "@telltale/core/attributes";
import { setupOtel, spanId } from "./otel.js";

const otel = setupOtel();
const llmTracer = () => trace.getTracer("instrumentation-under-test");

setPrices({ mock: { "mock-1": { inputPerMillion: 1_000, outputPerMillion: 2_000 } } });

/** What an instrumentation does around one SDK call: check the budget, start, report usage, end. */
async function callModel(name: string, inputTokens: number, outputTokens: number): Promise<void> {
  const refused = budgetCheck();
  if (refused) throw refused;
  const call = startLlmCall(llmTracer(), {
    provider: "mock",
    operation: "chat",
    requestModel: "mock-1",
    attributes: { "test.call": name },
  });
  await context.with(call.context, async () => undefined);
  call.recordUsage({ inputTokens, outputTokens });
  call.end();
}

function callSpan(name: string) {
  const found = otel.spans().find((s) => s.attributes["test.call"] === name);
  if (!found) throw new Error(`no call ${name}`);
  return found;
}

describe("budgets (F9)", () => {
  it("accumulates tokens and cost per trace and marks the call where the limit was crossed, and the workflow", async () => {
    otel.reset();
    await workflow("loop", { budget: { tokens: 1_000, costUsd: 10 } }, async () => {
      await step("first", () => callModel("a", 300, 100));
      await step("second", () => callModel("b", 400, 100));
      await callModel("c", 200, 100);
      await callModel("d", 10, 10);
    });
    expect(callSpan("a").attributes).toMatchObject({ [ATTR_TELLTALE_BUDGET_TOKENS_USED]: 400 });
    expect(callSpan("b").attributes).toMatchObject({ [ATTR_TELLTALE_BUDGET_TOKENS_USED]: 900 });
    expect(callSpan("b").attributes[ATTR_TELLTALE_BUDGET_EXCEEDED]).toBeUndefined();
    // The limits are the workflow's: on its span, and on the call that crossed one, not on every call.
    expect(callSpan("b").attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]).toBeUndefined();
    expect(callSpan("b").attributes[ATTR_TELLTALE_BUDGET_COST_USD_LIMIT]).toBeUndefined();
    const crossing = callSpan("c");
    expect(crossing.attributes).toMatchObject({
      [ATTR_TELLTALE_BUDGET_TOKENS_USED]: 1_200,
      [ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]: 1_000,
      [ATTR_TELLTALE_BUDGET_COST_USD_LIMIT]: 10,
      [ATTR_TELLTALE_BUDGET_EXCEEDED]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["budget_exceeded"],
    });
    expect(crossing.events.find((e) => e.name === EVENT_TELLTALE_BUDGET_EXCEEDED)?.attributes).toEqual({
      [ATTR_TELLTALE_BUDGET_TOKENS_USED]: 1_200,
      [ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]: 1_000,
    });
    // Marked once, where it crossed; later calls only carry the totals.
    expect(callSpan("d").attributes[ATTR_TELLTALE_BUDGET_EXCEEDED]).toBeUndefined();
    expect(callSpan("d").attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED]).toBe(1_220);

    const root = otel.span("invoke_agent loop");
    expect(root.attributes).toMatchObject({
      [ATTR_TELLTALE_BUDGET_MODE]: "observe",
      [ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]: 1_000,
      [ATTR_TELLTALE_BUDGET_COST_USD_LIMIT]: 10,
      [ATTR_TELLTALE_BUDGET_TOKENS_USED]: 1_220,
      [ATTR_TELLTALE_BUDGET_EXCEEDED]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["budget_exceeded"],
    });
    // 910 input × $1000/M + 310 output × $2000/M
    expect(root.attributes[ATTR_TELLTALE_BUDGET_COST_USD_USED]).toBeCloseTo(0.91 + 0.62, 9);
    expect(await otel.counterTotal(METRIC_TELLTALE_BUDGET_EXCEEDED)).toBe(1);
  });

  it("crosses on cost as well as tokens", async () => {
    otel.reset();
    await workflow("pricey", { budget: { costUsd: 1 } }, async () => {
      await callModel("cheap", 500, 0);
      await callModel("expensive", 600, 0);
    });
    expect(callSpan("cheap").attributes[ATTR_TELLTALE_BUDGET_EXCEEDED]).toBeUndefined();
    expect(callSpan("expensive").attributes[ATTR_TELLTALE_BUDGET_EXCEEDED]).toBe(true);
    expect(callSpan("expensive").attributes[ATTR_TELLTALE_BUDGET_COST_USD_USED]).toBeCloseTo(1.1, 9);
  });

  it("in enforce mode refuses the next call with a typed BudgetExceededError", async () => {
    otel.reset();
    const caught = await workflow("enforced", { budget: { tokens: 500, mode: "enforce" } }, async () => {
      await callModel("ok", 200, 100);
      expect(budgetCheck()).toBeUndefined();
      await callModel("crossing", 200, 100);
      await callModel("refused", 1, 1);
    }).catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(BudgetExceededError);
    expect(caught).toMatchObject({ limitKind: "tokens", limit: 500, used: 600 });
    expect(otel.spans().some((s) => s.attributes["test.call"] === "refused")).toBe(false);
    expect(otel.span("invoke_agent enforced").attributes).toMatchObject({
      [ATTR_TELLTALE_BUDGET_MODE]: "enforce",
      [ATTR_TELLTALE_BUDGET_EXCEEDED]: true,
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "error",
      [ATTR_TELLTALE_ERROR_CLASS]: "budget_exceeded",
    });
  });

  it("observe mode never refuses", async () => {
    await workflow("observed", { budget: { tokens: 10 } }, async () => {
      await callModel("big", 100, 100);
      expect(budgetCheck()).toBeUndefined();
    });
  });

  it("keeps per-trace totals of LLM calls outside any workflow, bounded", async () => {
    otel.reset();
    setMaxTrackedTraces(3);
    const roots = Array.from({ length: 5 }, (_, i) => llmTracer().startSpan(`root-${i}`));
    for (const [i, root] of roots.entries()) {
      await context.with(trace.setSpan(context.active(), root), () => callModel(`free-${i}`, 10 * (i + 1), 0));
      await context.with(trace.setSpan(context.active(), root), () => callModel(`free-${i}-again`, 1, 0));
    }
    roots.forEach((root) => root.end());
    expect(callSpan("free-4-again").attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED]).toBe(51);
    expect(trackedTraceCount()).toBe(3);
    expect(callSpan("free-0").parentSpanContext?.spanId).toBe(spanId(otel.span("root-0")));
    setMaxTrackedTraces(10_000);
  });
});

describe("default budget", () => {
  it("applies the default budget to top-level workflows that declare none, and an explicit one wins", async () => {
    otel.reset();
    setDefaultBudget({ tokens: 500, mode: "observe" });
    try {
      await workflow("defaulted", {}, async () => {
        await callModel("default-1", 400, 200);
      });
      await workflow("explicit", { budget: { tokens: 5_000 } }, async () => {
        await callModel("explicit-1", 400, 200);
      });
    } finally {
      setDefaultBudget(undefined);
    }
    await workflow("after-reset", {}, async () => undefined);
    const defaulted = otel.span("invoke_agent defaulted");
    expect(defaulted.attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]).toBe(500);
    expect(defaulted.attributes[ATTR_TELLTALE_BUDGET_EXCEEDED]).toBe(true);
    const explicit = otel.span("invoke_agent explicit");
    expect(explicit.attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]).toBe(5_000);
    expect(explicit.attributes[ATTR_TELLTALE_BUDGET_EXCEEDED]).toBeUndefined();
    expect(otel.span("invoke_agent after-reset").attributes[ATTR_TELLTALE_BUDGET_TOKENS_LIMIT]).toBeUndefined();
  });
});
