// The dual package hazard (docs/ARCHITECTURE.md): an app can load both the ESM and the CJS build of core. They must
// share one state: context keys, trace totals, the price table, keep reasons, error brands.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { trace } from "@opentelemetry/api";
import * as esm from "@telltale/core";
import * as esmAttributes from "@telltale/core/attributes";
import { setupOtel } from "./otel.js";

const otel = setupOtel();
const requireCjs = createRequire(import.meta.url);
const cjs = requireCjs("@telltale/core") as typeof esm;
const cjsInstrumentation = requireCjs("@telltale/core/instrumentation") as typeof import("@telltale/core/instrumentation");

describe("ESM and CJS copies of core", () => {
  it("are two different module instances", () => {
    expect(cjs.workflow).not.toBe(esm.workflow);
    expect(cjs.VERSION).toBe(esm.VERSION);
  });

  it("share the workflow in context: a CJS step completes an ESM workflow's manifest", async () => {
    otel.reset();
    await esm.workflow("mixed", { steps: ["cjs-step"], budget: { tokens: 10 } }, async () => {
      await cjs.step("cjs-step", () => {
        const call = cjsInstrumentation.startLlmCall(trace.getTracer("cjs-instrumentation"), { provider: "openai", operation: "chat" });
        call.recordUsage({ inputTokens: 20, outputTokens: 0 });
        call.end();
      });
    });
    const root = otel.span("invoke_agent mixed");
    expect(root.attributes).toMatchObject({
      [esmAttributes.ATTR_TELLTALE_WORKFLOW_OUTCOME]: "ok",
      [esmAttributes.ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED]: ["cjs-step"],
      [esmAttributes.ATTR_TELLTALE_BUDGET_TOKENS_USED]: 20,
      [esmAttributes.ATTR_TELLTALE_BUDGET_EXCEEDED]: true,
    });
    expect(otel.span("step cjs-step").attributes[esmAttributes.ATTR_TELLTALE_ORPHAN]).toBeUndefined();
  });

  it("share the price table, keep reasons and error brands", () => {
    otel.reset();
    esm.setPrices({ shared: { m: { inputPerMillion: 1, outputPerMillion: 1 } } });
    expect(cjs.getPrices().shared?.m).toEqual({ inputPerMillion: 1, outputPerMillion: 1 });
    esm.resetPrices();

    const span = trace.getTracer("t").startSpan("kept");
    esm.markKeep(span, "late");
    cjs.markKeep(span, "orphan");
    span.end();
    expect(otel.span("kept").attributes[esmAttributes.ATTR_TELLTALE_KEEP_REASONS]).toEqual(["late", "orphan"]);

    const fromCjs = new cjs.BudgetExceededError("tokens", 1, 2);
    expect(esm.BudgetExceededError.is(fromCjs)).toBe(true);
    expect(esm.classifyError(fromCjs).errorClass).toBe("budget_exceeded");
    expect(esm.classifyError(new cjs.DeadlineExceededError(5)).errorClass).toBe("deadline_exceeded");
  });
});
