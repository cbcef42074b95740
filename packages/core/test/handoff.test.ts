// Budgets and duplicates across a queue hand-off (F8, F9): an at-least-once redelivery of a job that repeats a side
// effect is a duplicate, in this process (the trace's keys outlive the first consumer) and in another one (the
// carrier takes the producer's keys along); usage that is not a finite count >= 0 never poisons the running total.
import { describe, expect, it } from "vitest";
import { trace } from "@opentelemetry/api";
import {
  BudgetExceededError,
  extract,
  inject,
  setMaxTrackedTraces,
  tool,
  trackedTraceCount,
  workflow,
} from "@telltale/core";
import { budgetCheck, startLlmCall, type LlmUsage } from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_KEEP_REASONS,
} from "@telltale/core/attributes";
import { collectDiag } from "./diag.js";
import { setupOtel } from "./otel.js";

const otel = setupOtel();
const diagMessages = collectDiag();

/** A broker that keeps only JSON, delivering a job at least once. */
function publish(job: unknown): string {
  return JSON.stringify(job);
}

interface Job {
  orderId: string;
  trace: Record<string, unknown>;
}

/** The consumer: charges the order, keyed by the order id, in the producer's trace. */
function consume(message: string, attempt: string): Promise<string> {
  const job = JSON.parse(message) as Job;
  return extract(job.trace, () =>
    tool("charge", { sideEffect: true, idempotencyKey: `order:${job.orderId}`, attributes: { "test.delivery": attempt } }, () => `charged ${job.orderId}`),
  );
}

function chargeSpan(delivery: string) {
  const found = otel.spans().filter((span) => span.attributes["test.delivery"] === delivery);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe("a redelivered job that repeats a side effect (F8)", () => {
  it("is flagged duplicate when both deliveries run in this process", async () => {
    otel.reset();
    const message = await workflow("checkout", () => publish({ orderId: "7", trace: inject() }));

    expect(await consume(message, "first")).toBe("charged 7");
    // The first consumer is done; the broker redelivers the same job (at least once).
    expect(await consume(message, "redelivery")).toBe("charged 7");

    expect(chargeSpan("first").attributes[ATTR_TELLTALE_DUPLICATE]).toBeUndefined();
    const again = chargeSpan("redelivery");
    expect(again.attributes[ATTR_TELLTALE_DUPLICATE]).toBe(true);
    expect(again.attributes[ATTR_TELLTALE_KEEP_REASONS]).toEqual(["duplicate"]);
    expect(again.spanContext().traceId).toBe(chargeSpan("first").spanContext().traceId);
  });

  it("is flagged duplicate in a consumer that never saw the trace, when the producer ran the side effect", async () => {
    otel.reset();
    const message = await workflow("checkout-and-retry", async () => {
      await tool("charge", { sideEffect: true, idempotencyKey: "order:8", attributes: { "test.delivery": "producer" } }, () => "charged");
      return publish({ orderId: "8", trace: inject() });
    });
    // Forget every trace this process holds, as a consumer in another process would know none of them.
    const heldBefore = trackedTraceCount();
    setMaxTrackedTraces(1);
    await workflow("unrelated", () => tool("noop", { sideEffect: true, idempotencyKey: "other" }, () => "x"));
    expect(trackedTraceCount()).toBe(1);
    setMaxTrackedTraces(10_000);
    expect(heldBefore).toBeGreaterThan(1);

    await consume(message, "elsewhere");
    expect(chargeSpan("elsewhere").attributes[ATTR_TELLTALE_DUPLICATE]).toBe(true);
  });

  it("carries at most the 32 most recent side effects in a job", async () => {
    const carrier = await workflow("many-effects", async () => {
      for (let index = 0; index < 40; index += 1) {
        await tool("write", { sideEffect: true, idempotencyKey: `row:${index}` }, () => index);
      }
      return inject();
    });
    const carried = JSON.parse(carrier["telltale-workflow"] as string) as { sideEffects: string[] };
    expect(carried.sideEffects).toHaveLength(32);
    expect(carried.sideEffects[0]).toBe("write\u0000row:8");
    expect(carried.sideEffects[31]).toBe("write\u0000row:39");
  });
});

describe("usage that is not a finite count >= 0 (F9)", () => {
  function callWith(usage: LlmUsage, label: string): void {
    const refused = budgetCheck();
    if (refused) throw refused;
    const call = startLlmCall(trace.getTracer("llm"), { provider: "openai", operation: "chat", requestModel: `model-${label}` });
    call.recordUsage(usage);
    call.end();
  }

  it("is ignored and reported, and the budget keeps counting and refusing", async () => {
    otel.reset();
    const outcome = await workflow("poisoned", { budget: { tokens: 100, mode: "enforce" } }, () => {
      callWith({ inputTokens: Number.NaN, outputTokens: 50 }, "nan");
      callWith({ inputTokens: 80, outputTokens: -5 }, "negative");
      callWith({ inputTokens: 1, outputTokens: 1 }, "refused");
    }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(BudgetExceededError);

    const nan = otel.span("chat model-nan");
    expect(nan.attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBeUndefined();
    expect(nan.attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBe(50);
    expect(nan.attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED]).toBe(50);
    const negative = otel.span("chat model-negative");
    expect(negative.attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBeUndefined();
    expect(negative.attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBe(80);
    expect(negative.attributes).toMatchObject({ [ATTR_TELLTALE_BUDGET_TOKENS_USED]: 130, [ATTR_TELLTALE_BUDGET_EXCEEDED]: true });
    expect(otel.spans().some((span) => span.name === "chat model-refused")).toBe(false);
    expect(otel.spans().every((span) => Object.values(span.attributes).every((value) => typeof value !== "number" || Number.isFinite(value)))).toBe(true);

    expect(diagMessages.matching("recordUsage", 'option "inputTokens"', "NaN")).toHaveLength(1);
    expect(diagMessages.matching("recordUsage", 'option "outputTokens"', "-5")).toHaveLength(1);
  });

  it("from a carrier is ignored too", async () => {
    otel.reset();
    const carrier = await workflow("producer", { budget: { tokens: 100 } }, () => inject());
    const carried = JSON.parse(carrier["telltale-workflow"] as string) as Record<string, unknown>;
    carrier["telltale-workflow"] = JSON.stringify({ ...carried, tokensUsed: -1e9, costUsd: "free" });
    await extract(carrier, () => callWith({ inputTokens: 10, outputTokens: 0 }, "consumer"));
    expect(otel.span("chat model-consumer").attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED]).toBe(10);
    expect(diagMessages.matching("extract", 'option "tokensUsed"', "-1000000000")).toHaveLength(1);
    expect(diagMessages.matching("extract", 'option "costUsd"', '"free"')).toHaveLength(1);
  });
});
