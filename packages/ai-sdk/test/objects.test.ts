// Structured output and the AI SDK's own telemetry on ai 5, 6 and 7: generateObject's calls and its schema
// failures (NoObjectGeneratedError, a named error class on the run), and usage counted once when the AI SDK's own
// OpenTelemetry spans (ai 5 and 6: `experimental_telemetry`) record it too.
import { agentRun } from "@telltale/ai-sdk";
import { SpanStatusCode } from "@opentelemetry/api";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { attr, exporter, instrumented, MAJORS, metricPoints, mockLlm, onlySpan, spans } from "./harness.js";

beforeEach(async () => {
  exporter.reset();
  (await mockLlm()).reset();
});

async function tokenUsageSum(): Promise<number> {
  const points = await metricPoints("gen_ai.client.token.usage");
  return points.reduce((sum, point) => sum + Number((point.value as { sum?: number }).sum ?? 0), 0);
}

const citySchema = z.object({ city: z.string(), population: z.number() });

describe.each(MAJORS)("$label", (major) => {
  it("generateObject: the call span and the run, ok", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "ok", text: JSON.stringify({ city: "Lyon", population: 520000 }) });
    const result = await agentRun("extract", {}, () =>
      major.ai.generateObject({ model: instrumented(major, major.openai(mock, "gpt-4o-mini", "chat")), schema: citySchema, prompt: "Lyon facts" }),
    );
    expect(result.object).toEqual({ city: "Lyon", population: 520000 });
    const run = onlySpan("invoke_agent extract");
    expect(attr(run, "telltale.workflow.outcome")).toBe("ok");
    const call = onlySpan("chat gpt-4o-mini");
    expect(call.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(attr(call, "gen_ai.response.finish_reasons")).toEqual(["stop"]);
  });

  it("generateObject failing its schema fails the run with NoObjectGeneratedError, a named error class", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "ok", text: "I am not sure about the population" });
    const failure = await agentRun("extract", {}, () =>
      major.ai.generateObject({ model: instrumented(major, major.openai(mock, "gpt-4o-mini", "chat")), schema: citySchema, prompt: "Lyon facts" }),
    ).then(() => undefined, (error: unknown) => error);
    expect(major.ai.NoObjectGeneratedError.isInstance(failure)).toBe(true);
    const run = onlySpan("invoke_agent extract");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(attr(run, "error.type")).toBe("AI_NoObjectGeneratedError");
    expect(attr(run, "telltale.workflow.outcome")).toBe("error");
    // The model did answer: its call is not the failure.
    expect(onlySpan("chat gpt-4o-mini").status.code).not.toBe(SpanStatusCode.ERROR);
  });

  if (major.major !== 7) {
    it("with the AI SDK's own telemetry on, usage is counted once in the budget and the metrics", async () => {
      const mock = await mockLlm();
      mock.enqueue({ kind: "ok", text: "Counted once, not twice" });
      const usageBefore = await tokenUsageSum();
      await agentRun("counted", { budget: { tokens: 10_000 } }, () =>
        major.ai.generateText({
          model: instrumented(major, major.anthropic(mock, "claude-sonnet-4-5")),
          prompt: "Count my tokens",
          experimental_telemetry: { isEnabled: true },
        }),
      );
      const theirs = spans().filter((span) => span.name.startsWith("ai.generateText"));
      expect(theirs.map((span) => span.name).sort()).toEqual(["ai.generateText", "ai.generateText.doGenerate"]);
      expect(theirs.every((span) => span.attributes["ai.usage.promptTokens"] !== undefined || span.attributes["ai.usage.inputTokens"] !== undefined)).toBe(true);
      const call = onlySpan("chat claude-sonnet-4-5");
      const used = Number(attr(call, "gen_ai.usage.input_tokens")) + Number(attr(call, "gen_ai.usage.output_tokens"));
      expect(attr(onlySpan("invoke_agent counted"), "telltale.budget.tokens.used")).toBe(used);
      expect((await tokenUsageSum()) - usageBefore).toBe(used);
      // Their call span is the parent of nothing of ours, and ours sits under the run: one model call, one Telltale span.
      expect(spans().filter((span) => span.name.startsWith("chat "))).toHaveLength(1);
    });
  }
});
