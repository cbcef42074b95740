// ai 7's one-line global setup, `registerTelemetry(telltaleTelemetry())`, next to the AI SDK's own OpenTelemetry
// integration (`@ai-sdk/otel`): the run, its steps, every attempt of a model call, tools that were not instrumented
// (their output judged from `onToolExecutionEnd`), and token usage counted once although both record it.
import { OpenTelemetry } from "@ai-sdk/otel";
import { telltaleTelemetry } from "@telltale/ai-sdk";
import { generateText, registerTelemetry, stepCountIs, streamText, tool } from "ai";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { attr, exporter, metricPoints, mockLlm, onlySpan, spans, until, MAJORS } from "./harness.js";

// Registered twice (as when @telltale/node registers it and the app does too): the first traces each run, alone.
registerTelemetry(telltaleTelemetry({ agentName: "assistant" }), new OpenTelemetry(), telltaleTelemetry({ agentName: "second" }));
const ai7 = MAJORS[2]!;
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

beforeEach(async () => {
  exporter.reset();
  (await mockLlm()).reset();
});

async function tokenUsageSum(): Promise<number> {
  const points = await metricPoints("gen_ai.client.token.usage");
  return points.reduce((sum, point) => sum + Number((point.value as { sum?: number }).sum ?? 0), 0);
}

describe("ai 7 with registerTelemetry(telltaleTelemetry(), new OpenTelemetry())", () => {
  it("traces a run with retries and an uninstrumented tool; usage is counted once", async () => {
    const mock = await mockLlm();
    mock.enqueue(
      { kind: "error", error: "server_error", retryAfterMs: 5 },
      { kind: "tool_calls", calls: [{ name: "lookup", arguments: { query: "telltale" } }] },
      { kind: "ok", text: "Found nothing useful" },
    );
    const usageBefore = await tokenUsageSum();
    const result = await generateText({
      model: ai7.anthropic(mock, "claude-sonnet-4-5"),
      tools: {
        lookup: tool({ description: "Search the docs", inputSchema: z.object({ query: z.string() }), execute: async () => [] }),
      },
      stopWhen: stepCountIs(3),
      prompt: "Look it up",
    });
    expect(result.text).toBe("Found nothing useful");
    await until(() => spans().some((span) => span.name === "invoke_agent assistant"), "the run span");
    const run = onlySpan("invoke_agent assistant");
    expect(run.instrumentationScope.name).toBe("@telltale/core");
    expect(attr(run, "telltale.workflow.outcome")).toBe("ok");

    expect(spans().filter((span) => span.name === "invoke_agent second")).toHaveLength(0);
    const ours = spans().filter((span) => span.name === "chat claude-sonnet-4-5" && span.instrumentationScope.name === "@telltale/ai-sdk");
    expect(ours).toHaveLength(2);
    const first = ours.find((span) => attr(span, "telltale.retry.count") === 1)!;
    expect(attr(first, "telltale.attempt.status_codes")).toEqual([500, 200]);
    expect(attr(first, "telltale.attempt.error_classes")).toEqual(["server_error", "ok"]);

    // The tool was not instrumented: its span still comes, with its empty result judged (F5).
    const toolSpans = spans().filter((span) => span.name === "execute_tool lookup" && span.instrumentationScope.name === "@telltale/core");
    expect(toolSpans).toHaveLength(1);
    expect(attr(toolSpans[0]!, "telltale.soft_error")).toBe("empty_tool_result");

    // The AI SDK's own spans are there too, and carry usage of their own.
    const theirs = spans().filter((span) => !span.instrumentationScope.name.startsWith("@telltale/"));
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.some((span) => span.attributes["gen_ai.usage.input_tokens"] !== undefined)).toBe(true);

    // Counted once: the run's budget total and the token metric equal the sum over Telltale's call spans.
    const used = ours.reduce((sum, span) => sum + Number(attr(span, "gen_ai.usage.input_tokens")) + Number(attr(span, "gen_ai.usage.output_tokens")), 0);
    expect(attr(run, "telltale.budget.tokens.used")).toBe(used);
    expect((await tokenUsageSum()) - usageBefore).toBe(used);
  });

  it("a streamed run the consumer breaks out of ends, run and call, once the dropped stream is collected (F15)", async () => {
    const mock = await mockLlm();
    const words = Array.from({ length: 40 }, (_, index) => `word${index}`).join(" ");
    mock.enqueue({ kind: "ok", text: words, chunkDelayMs: 2 });
    let result: ReturnType<typeof streamText> | undefined = streamText({
      model: ai7.openai(mock, "gpt-4o-mini", "chat"),
      prompt: "Count",
      telemetry: { functionId: "counter" },
    });
    for await (const text of result.textStream) {
      if (text.length > 0) break;
    }
    result = undefined;
    await until(
      () => {
        gc();
        return spans().some((span) => span.name === "invoke_agent counter");
      },
      "the abandoned run to end",
      15_000,
    );
    const run = onlySpan("invoke_agent counter");
    expect(attr(run, "telltale.soft_error")).toBe("stream_aborted");
    expect(attr(run, "telltale.soft_error.detail")).toBe("abandoned");
    expect(attr(run, "telltale.keep.reasons")).toContain("soft_error");
    const call = spans().find((span) => span.name === "chat gpt-4o-mini" && span.instrumentationScope.name === "@telltale/ai-sdk");
    expect(attr(call!, "telltale.soft_error.detail")).toBe("abandoned");
  });
});
