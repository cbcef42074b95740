// Agent runs on ai 5, 6 and 7 (agentRun with the middleware) and ai 7's telemetry integration alone, with the real
// providers against the mock LLM: the run and its tool loop (F6), tool spans (F5, F8, F10, F11), the budget (F9).
import { BudgetExceededError } from "@telltale/core";
import { instrumentTools } from "@telltale/ai-sdk";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { SpanStatusCode } from "@opentelemetry/api";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { attr, exporter, mockLlm, onlySpan, spans, until } from "./harness.js";
import { RUN_MODES } from "./runs.js";

beforeEach(async () => {
  exporter.reset();
  (await mockLlm()).reset();
});

function named(prefix: string): ReadableSpan[] {
  return spans().filter((span) => span.name.startsWith(prefix));
}

async function runSpan(name: string): Promise<ReadableSpan> {
  await until(() => spans().some((span) => span.name === `invoke_agent ${name}`), `the run span of ${name}`, 15_000);
  return onlySpan(`invoke_agent ${name}`);
}

function isUnder(child: ReadableSpan, ancestor: ReadableSpan): boolean {
  const byId = new Map(spans().map((span) => [span.spanContext().spanId, span]));
  let current: ReadableSpan | undefined = child;
  while (current !== undefined) {
    const parentId: string | undefined = current.parentSpanContext?.spanId;
    if (parentId === ancestor.spanContext().spanId) return true;
    current = parentId === undefined ? undefined : byId.get(parentId);
  }
  return false;
}

describe.each(RUN_MODES)("$label", (mode) => {
  const { ai } = mode.major;

  function weatherTools(execute: (input: { city: string }, options: { abortSignal?: AbortSignal }) => Promise<unknown>) {
    return {
      weather: ai.tool({
        description: "The weather in a city",
        inputSchema: z.object({ city: z.string() }),
        execute: (input: { city: string }, options: { abortSignal?: AbortSignal }) => execute(input, options),
      }),
    };
  }

  it("a tool loop is one run: model calls and tools under it, the run ends ok, usage adds up", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "tool_calls", calls: [{ name: "weather", arguments: { city: "Paris" } }] }, { kind: "ok", text: "Sunny in Paris" });
    const result = await mode.run("forecaster", {}, (settings) =>
      ai.generateText({
        ...settings,
        model: mode.model(mock, "openai"),
        tools: instrumentTools(weatherTools(async (input) => ({ city: input.city, sky: "sunny" }))),
        stopWhen: ai.stepCountIs(3),
        prompt: "Weather in Paris?",
      }),
    );
    expect(result.text).toBe("Sunny in Paris");
    const run = await runSpan("forecaster");
    expect(attr(run, "telltale.workflow.outcome")).toBe("ok");
    expect(attr(run, "telltale.keep.reasons")).toBeUndefined();
    const calls = named("chat gpt-4o-mini");
    expect(calls).toHaveLength(2);
    for (const call of calls) expect(isUnder(call, run)).toBe(true);
    expect(attr(calls[0]!, "telltale.response.tool_calls.names")).toEqual(["weather"]);
    const toolSpan = onlySpan("execute_tool weather");
    expect(isUnder(toolSpan, run)).toBe(true);
    expect(attr(toolSpan, "gen_ai.tool.call.id")).toBe((attr(calls[0]!, "telltale.response.tool_calls.ids") as string[])[0]);
    expect(attr(toolSpan, "telltale.soft_error")).toBeUndefined();
    const used = calls.reduce((sum, call) => sum + Number(attr(call, "gen_ai.usage.input_tokens")) + Number(attr(call, "gen_ai.usage.output_tokens")), 0);
    expect(attr(run, "telltale.budget.tokens.used")).toBe(used);
    if (mode.label.includes("telemetry")) expect(named("step ").map((span) => span.name).sort()).toEqual(["step 1", "step 2"]);
  });

  it("a loop stopped at its step limit with tools still asked for is partial (F6)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "tool_calls" }, { kind: "tool_calls" });
    await mode.run("looper", {}, (settings) =>
      ai.generateText({
        ...settings,
        model: mode.model(mock, "anthropic"),
        tools: instrumentTools(weatherTools(async () => "cloudy")),
        stopWhen: ai.stepCountIs(2),
        prompt: "Weather?",
      }),
    );
    const run = await runSpan("looper");
    expect(attr(run, "telltale.workflow.outcome")).toBe("partial");
    expect(attr(run, "telltale.keep.reasons")).toContain("partial");
    // The run says it stopped short itself: no marker step stands in for the answer that never came.
    expect(attr(run, "telltale.workflow.steps.expected")).toBeUndefined();
    expect(named("step answer")).toHaveLength(0);
    expect(named("execute_tool weather")).toHaveLength(2);
  });

  it.each([
    ["an empty result", async () => "", "empty_tool_result"],
    ["an isError result", async () => ({ isError: true, content: [{ type: "text", text: "no such city" }] }), "tool_is_error"],
  ])("a tool returning %s is a soft error on its span (F5)", async (_name, execute, softError) => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "tool_calls" }, { kind: "ok" });
    await mode.run("tool-soft", {}, (settings) =>
      ai.generateText({ ...settings, model: mode.model(mock, "openai"), tools: instrumentTools(weatherTools(execute)), stopWhen: ai.stepCountIs(2), prompt: "Weather?" }),
    );
    await runSpan("tool-soft");
    const toolSpan = onlySpan("execute_tool weather");
    expect(attr(toolSpan, "telltale.soft_error")).toBe(softError);
    expect(attr(toolSpan, "telltale.keep.reasons")).toEqual(["soft_error"]);
  });

  it("a tool that throws fails its span; the model sees the error and the run goes on", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "tool_calls" }, { kind: "ok", text: "Sorry" });
    const result = await mode.run("tool-throws", {}, (settings) =>
      ai.generateText({
        ...settings,
        model: mode.model(mock, "openai"),
        tools: instrumentTools(weatherTools(async () => Promise.reject(new TypeError("weather service down")))),
        stopWhen: ai.stepCountIs(2),
        prompt: "Weather?",
      }),
    );
    expect(result.text).toBe("Sorry");
    const run = await runSpan("tool-throws");
    expect(attr(run, "telltale.workflow.outcome")).toBe("ok");
    const toolSpan = onlySpan("execute_tool weather");
    expect(toolSpan.status.code).toBe(SpanStatusCode.ERROR);
    expect(toolSpan.events.find((event) => event.name === "exception")?.attributes?.["exception.message"]).toBe("weather service down");
  });

  it("side-effecting tools: a missing idempotency key and a duplicate are flagged (F8)", async () => {
    const mock = await mockLlm();
    mock.enqueue(
      {
        kind: "tool_calls",
        calls: [
          { name: "refund", arguments: { order: "A1" } },
          { name: "refund", arguments: { order: "A1" } },
          { name: "notify", arguments: { order: "A1" } },
        ],
      },
      { kind: "ok" },
    );
    const tools = {
      refund: ai.tool({ description: "Refund an order", inputSchema: z.object({ order: z.string() }), execute: async ({ order }: { order: string }) => `refunded ${order}` }),
      notify: ai.tool({ description: "Notify the customer", inputSchema: z.object({ order: z.string() }), execute: async () => "sent" }),
    };
    await mode.run("refunds", {}, (settings) =>
      ai.generateText({
        ...settings,
        model: mode.model(mock, "anthropic"),
        tools: instrumentTools(tools, { refund: { sideEffect: true, idempotencyKey: (input) => `refund:${input.order}` }, notify: { sideEffect: true } }),
        stopWhen: ai.stepCountIs(2),
        prompt: "Refund A1 and tell them",
      }),
    );
    await runSpan("refunds");
    const refunds = named("execute_tool refund");
    expect(refunds).toHaveLength(2);
    expect(refunds.map((span) => attr(span, "telltale.idempotency.key"))).toEqual(["refund:A1", "refund:A1"]);
    expect(refunds.filter((span) => attr(span, "telltale.duplicate") === true)).toHaveLength(1);
    const notify = onlySpan("execute_tool notify");
    expect(attr(notify, "telltale.side_effect")).toBe(true);
    expect(attr(notify, "telltale.idempotency.missing")).toBe(true);
  });

  it("in enforce mode the next model call past the budget is refused, and the run fails with it (F9)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "tool_calls" }, { kind: "ok" });
    const failure = await mode
      .run("spender", { budget: { tokens: 5, mode: "enforce" } }, (settings) =>
        ai.generateText({
          ...settings,
          model: mode.model(mock, "openai"),
          tools: instrumentTools(weatherTools(async () => "rain")),
          stopWhen: ai.stepCountIs(3),
          prompt: "A prompt long enough to use the whole budget at once",
        }),
      )
      .then(() => undefined, (error: unknown) => error);
    expect(BudgetExceededError.is(failure) || BudgetExceededError.is((failure as { cause?: unknown } | undefined)?.cause)).toBe(true);
    expect(mock.requests).toHaveLength(1);
    const run = await runSpan("spender");
    expect(attr(run, "telltale.budget.exceeded")).toBe(true);
    expect(attr(run, "telltale.workflow.outcome")).toBe("error");
    const calls = named("chat gpt-4o-mini");
    expect(calls).toHaveLength(2);
    const refused = calls.find((call) => attr(call, "telltale.error.class") === "budget_exceeded");
    expect(refused).toBeDefined();
    expect(attr(calls.find((call) => call !== refused)!, "telltale.budget.exceeded")).toBe(true);
  });

  it("a tool's abort signal fires at the workflow deadline (F10)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "tool_calls" }, { kind: "ok" });
    let reason: unknown;
    await mode.run("deadline", { deadlineMs: 300 }, (settings) =>
      ai.generateText({
        ...settings,
        model: mode.model(mock, "openai"),
        tools: instrumentTools(
          weatherTools(
            (_input, { abortSignal }) =>
              new Promise((_resolve, reject) =>
                abortSignal?.addEventListener("abort", () => {
                  reason = abortSignal.reason;
                  reject(abortSignal.reason);
                }),
              ),
          ),
          { weather: { timeoutMs: 60_000 } },
        ),
        stopWhen: ai.stepCountIs(2),
        prompt: "Weather?",
      }),
    );
    expect((reason as Error).name).toBe("DeadlineExceededError");
    const run = await runSpan("deadline");
    expect(attr(run, "telltale.deadline.exceeded")).toBe(true);
    const toolSpan = onlySpan("execute_tool weather");
    expect(attr(toolSpan, "telltale.error.class")).toBe("deadline_exceeded");
    expect(attr(toolSpan, "telltale.deadline.timeout_exceeds_remaining")).toBe(true);
  });

  it("a tool result that arrives after its run ended is late (F11)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "tool_calls" }, { kind: "ok" });
    const controller = new AbortController();
    let finishTool!: () => void;
    const toolDone = new Promise<void>((resolve) => (finishTool = resolve));
    await mode.run("late", {}, async (settings) => {
      const result = ai.streamText({
        ...settings,
        model: mode.model(mock, "openai"),
        tools: instrumentTools(weatherTools(() => toolDone.then(() => "finally sunny"))),
        stopWhen: ai.stepCountIs(2),
        abortSignal: controller.signal,
        prompt: "Weather?",
      });
      for await (const part of result.fullStream) {
        if (part.type === "tool-call") {
          // The user gives up while the tool still runs: the call is aborted and the stream no longer read.
          controller.abort();
          break;
        }
      }
    }).catch(() => undefined);
    const run = await runSpan("late");
    // The result comes in a later millisecond than the run's end.
    const runEndMs = run.endTime[0] * 1000 + run.endTime[1] / 1e6;
    await until(() => Date.now() > runEndMs + 1, "a millisecond past the run's end");
    finishTool();
    await until(() => spans().some((span) => span.name === "execute_tool weather"), "the late tool span", 15_000);
    const toolSpan = onlySpan("execute_tool weather");
    expect(isUnder(toolSpan, run)).toBe(true);
    expect(attr(toolSpan, "telltale.late")).toBe(true);
    expect(attr(toolSpan, "telltale.keep.reasons")).toContain("late");
  });
});
