import { describe, expect, it } from "vitest";
import { trace } from "@opentelemetry/api";
import {
  spawn,
  step,
  tool,
  trackedTraceCount,
  workflow,
} from "@telltale/core";
import { startLlmCall } from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
  ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED,
} from "@telltale/core/attributes";
import { setupOtel, traceId } from "./otel.js";

const otel = setupOtel();

/** Yields to the event loop a workflow-specific number of times, so that the 200 workflows interleave. */
async function yieldTimes(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("concurrency", () => {
  it("keeps budgets, manifests and idempotency keys of 200 interleaved workflows with subtasks separate", async () => {
    otel.reset();
    const WORKFLOWS = 200;
    const runs = Array.from({ length: WORKFLOWS }, (_, index) =>
      workflow(`agent-${index}`, { steps: ["plan", "research", "write"], budget: { tokens: 1_000 } }, async () => {
        await step("plan", () => yieldTimes(index % 3));
        // Fan out: subtasks run in parallel and each reports usage of its own.
        await step("research", () =>
          Promise.all(
            [1, 2, 3].map((subtask) =>
              tool("search", { sideEffect: true, idempotencyKey: `key-${subtask % 2}`, callId: `call-${subtask}` }, async () => {
                await yieldTimes((index + subtask) % 4);
                const call = startLlmCall(trace.getTracer("llm"), { provider: "openai", operation: "chat", requestModel: "gpt-4o" });
                call.recordUsage({ inputTokens: index + subtask, outputTokens: 100 * subtask });
                call.end();
                return "found";
              }),
            ),
          ),
        );
        // Odd workflows skip "write" (partial) and run an undeclared step instead.
        if (index % 2 === 0) await step("write", () => yieldTimes(index % 5));
        else await step(`improvise-${index}`, () => yieldTimes(1));
        await spawn(`cleanup-${index}`, () => yieldTimes(index % 2));
        return index;
      }),
    );
    expect(await Promise.all(runs)).toEqual(Array.from({ length: WORKFLOWS }, (_, index) => index));

    const spans = otel.spans();
    const roots = spans.filter((s) => s.name.startsWith("invoke_agent "));
    expect(roots).toHaveLength(WORKFLOWS);
    expect(new Set(roots.map(traceId)).size).toBe(WORKFLOWS);
    for (const root of roots) {
      const index = Number((root.attributes[ATTR_GEN_AI_AGENT_NAME] as string).slice("agent-".length));
      const expectedTokens = 3 * index + 6 + 600;
      expect(root.attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED]).toBe(expectedTokens);
      expect(root.attributes[ATTR_TELLTALE_BUDGET_EXCEEDED]).toBe(expectedTokens > 1_000 ? true : undefined);
      if (index % 2 === 0) {
        expect(root.attributes).toMatchObject({
          [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "ok",
          [ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED]: ["plan", "research", "write"],
          [ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]: [],
        });
        expect(root.attributes[ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED]).toBeUndefined();
      } else {
        expect(root.attributes).toMatchObject({
          [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "partial",
          [ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED]: ["plan", "research"],
          [ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]: ["write"],
          [ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED]: [`improvise-${index}`],
        });
      }
      // Every span of the trace belongs to this workflow: names carry the index where they can.
      const members = spans.filter((s) => traceId(s) === traceId(root));
      expect(members.filter((s) => s.name.startsWith("spawn ")).map((s) => s.name)).toEqual([`cleanup-${index}`].map((n) => `spawn ${n}`));
      expect(members.filter((s) => s.name.startsWith("chat "))).toHaveLength(3);
      // Keys key-1 (subtasks 1 and 3) repeat within the trace: exactly one duplicate per workflow, none across.
      expect(members.filter((s) => s.attributes[ATTR_TELLTALE_DUPLICATE] === true)).toHaveLength(1);
    }
    // What outlives the workflows: the side-effect keys of each trace (for redelivered jobs), nothing else.
    expect(trackedTraceCount()).toBe(WORKFLOWS);
  });
});
