import { afterEach, describe, expect, it } from "vitest";
import { context, ROOT_CONTEXT, SpanStatusCode } from "@opentelemetry/api";
import { ToolMessage } from "@langchain/core/messages";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { tool, type StructuredToolInterface } from "@langchain/core/tools";
import { Command, END, interrupt, MemorySaver, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { extract, inject, type TraceCarrier } from "@telltale/core";
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_DEADLINE_EXCEEDED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_INTERRUPTED,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_SIDE_EFFECT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_STEP_NAME,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
} from "@telltale/core/attributes";
import { runContext, telltale, type TelltaleLangChainOptions } from "@telltale/langchain";
import { z } from "zod";
import { attr, chatAnthropic, chatOpenAI, exporter, idOf, mockLlm, named, only, parentOf, spans, traceOf, traceSpans } from "./harness.js";

afterEach(async () => {
  exporter.reset();
  (await mockLlm()).reset();
});

type Tool = StructuredToolInterface;

/** agent → tools → agent → END, the model asking for `calls` on its first turn. */
async function toolGraph(tools: readonly unknown[], name = "tools-graph") {
  const toolList = tools as Tool[];
  const mock = await mockLlm();
  const model = chatOpenAI(mock).bindTools(toolList);
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", new ToolNode(toolList))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (state) => ((state.messages.at(-1) as { tool_calls?: unknown[] }).tool_calls?.length ? "tools" : END))
    .addEdge("tools", "agent")
    .compile({ name });
}

const input = (text: string) => ({ messages: [{ role: "user", content: text }] });

describe("tools (F5, F8, F10)", () => {
  const emptySearch = tool(async () => "", { name: "search", description: "search", schema: z.object({ query: z.string() }) });
  const failingLookup = tool(async (_args, config) => new ToolMessage({ content: "lookup failed: no such order", tool_call_id: config.toolCall?.id ?? "", status: "error" }), {
    name: "lookup",
    description: "lookup",
    schema: z.object({ order: z.string() }),
  });
  const sendEmail = tool(async ({ to }) => `sent to ${to}`, { name: "send_email", description: "send", schema: z.object({ to: z.string() }) });
  const charge = tool(async () => "charged", { name: "charge", description: "charge", schema: z.object({ amount: z.number() }) });

  const options: TelltaleLangChainOptions = {
    tools: {
      send_email: { sideEffect: true, idempotencyKey: (args) => `email:${(args as { to: string }).to}`, timeoutMs: 120_000 },
      charge: { sideEffect: true },
    },
  };

  it("marks an empty result and a ToolMessage with status error as soft errors", async () => {
    const mock = await mockLlm();
    const graph = await toolGraph([emptySearch, failingLookup]);
    mock.enqueue({ kind: "tool_calls", calls: [{ name: "search" }, { name: "lookup" }] }, { kind: "ok" });
    await graph.invoke(input("find it"), { callbacks: [telltale()] });
    expect(attr(only("execute_tool search"), ATTR_TELLTALE_SOFT_ERROR)).toBe("empty_tool_result");
    expect(attr(only("execute_tool lookup"), ATTR_TELLTALE_SOFT_ERROR)).toBe("tool_is_error");
    expect(attr(only("execute_tool lookup"), ATTR_TELLTALE_KEEP_REASONS)).toEqual(["soft_error"]);
  });

  it("flags side effects by configuration: a repeated idempotency key is a duplicate, a missing one is flagged", async () => {
    const mock = await mockLlm();
    const graph = await toolGraph([sendEmail, charge]);
    mock.enqueue(
      { kind: "tool_calls", calls: [{ name: "send_email", arguments: { to: "a@example.com" } }, { name: "charge", arguments: { amount: 3 } }] },
      { kind: "tool_calls", calls: [{ name: "send_email", arguments: { to: "a@example.com" } }] },
      { kind: "ok" },
    );
    await graph.invoke(input("notify"), { callbacks: [telltale(options)], timeout: 60_000 });
    const emails = named("execute_tool send_email");
    expect(emails.map((span) => attr(span, ATTR_TELLTALE_IDEMPOTENCY_KEY))).toEqual(["email:a@example.com", "email:a@example.com"]);
    expect(emails.map((span) => attr(span, ATTR_TELLTALE_DUPLICATE))).toEqual([undefined, true]);
    expect(attr(only("execute_tool charge"), ATTR_TELLTALE_SIDE_EFFECT)).toBe(true);
    expect(attr(only("execute_tool charge"), ATTR_TELLTALE_IDEMPOTENCY_MISSING)).toBe(true);
    // F10: the run's timeout is the workflow's deadline; a tool whose own timeout is longer than what is left is flagged.
    for (const email of emails) {
      expect(attr(email, ATTR_TELLTALE_DEADLINE_REMAINING_MS)).toBeLessThanOrEqual(60_000);
      expect(attr(email, ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING)).toBe(true);
    }
    expect(attr(only("execute_tool charge"), ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING)).toBeUndefined();
  });

  it("records a run that outlives its timeout as past its deadline", async () => {
    const mock = await mockLlm();
    const slow = tool(async () => new Promise<string>((resolve) => setTimeout(() => resolve("late"), 1_500)), {
      name: "slow",
      description: "slow",
      schema: z.object({}),
    });
    const graph = await toolGraph([slow], "slow-graph");
    mock.enqueue({ kind: "tool_calls", calls: [{ name: "slow" }] }, { kind: "ok" });
    await expect(graph.invoke(input("wait"), { callbacks: [telltale()], timeout: 300 })).rejects.toThrow();
    const workflow = only("invoke_agent slow-graph");
    expect(attr(workflow, ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("error");
    expect(attr(workflow, ATTR_TELLTALE_DEADLINE_EXCEEDED)).toBe(true);
    expect(attr(workflow, ATTR_TELLTALE_KEEP_REASONS)).toEqual(expect.arrayContaining(["error", "deadline_exceeded"]));
    expect(attr(workflow, ATTR_TELLTALE_ERROR_CLASS)).toBe("deadline_exceeded");
  });

  it("does not take a run the caller aborted long before its timeout for one past its deadline", async () => {
    const mock = await mockLlm();
    const controller = new AbortController();
    const stuck = tool(
      async () => {
        controller.abort();
        return new Promise<string>((resolve) => setTimeout(() => resolve("late"), 1_500));
      },
      { name: "stuck", description: "stuck", schema: z.object({}) },
    );
    const graph = await toolGraph([stuck], "aborted-graph");
    mock.enqueue({ kind: "tool_calls", calls: [{ name: "stuck" }] }, { kind: "ok" });
    await expect(graph.invoke(input("wait"), { callbacks: [telltale()], timeout: 60_000, signal: controller.signal })).rejects.toThrow();
    const workflow = only("invoke_agent aborted-graph");
    expect(attr(workflow, ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("error");
    expect(attr(workflow, ATTR_TELLTALE_DEADLINE_EXCEEDED)).toBeUndefined();
    expect(attr(workflow, ATTR_TELLTALE_ERROR_CLASS)).not.toBe("deadline_exceeded");
  });
});

describe("LangChain's retries (F1-F3)", () => {
  it("shows ChatOpenAI's AsyncCaller retries as attempts of one chat span", async () => {
    const mock = await mockLlm();
    const model = chatOpenAI(mock, 2);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addEdge(START, "agent")
      .compile({ name: "retrying" });
    mock.enqueue({ kind: "error", error: "server_error" }, { kind: "ok", text: "fine" });
    await graph.invoke(input("hello"), { callbacks: [telltale()] });
    const chat = only("chat gpt-4o-mini");
    expect(parentOf(chat)).toBe(idOf(only("step agent")));
    expect(attr(chat, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([500, 200]);
    expect(attr(chat, ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES)).toEqual(["server_error", "ok"]);
    expect(attr(chat, ATTR_TELLTALE_RETRY_COUNT)).toBe(1);
    // AsyncCaller backs off at least a second before its first retry: the wait is on the second attempt.
    expect((attr(chat, ATTR_TELLTALE_ATTEMPT_WAITS_MS) as number[])[1]).toBeGreaterThanOrEqual(900);
    expect(attr(chat, ATTR_TELLTALE_KEEP_REASONS)).toEqual(["retried"]);
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("shows withRetry as a retry span whose attempts are the model calls, and flags a retried non-recoverable error", async () => {
    const mock = await mockLlm();
    const model = chatOpenAI(mock).withRetry({ stopAfterAttempt: 2 });
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addEdge(START, "agent")
      .compile({ name: "with-retry" });
    mock.enqueue({ kind: "error", error: "context_length_exceeded" }, { kind: "ok", text: "fine" });
    await graph.invoke(input("hello"), { callbacks: [telltale()] });
    const retry = only("retry ChatOpenAI");
    expect(parentOf(retry)).toBe(idOf(only("step agent")));
    expect(attr(retry, ATTR_TELLTALE_RETRY_COUNT)).toBe(1);
    expect(attr(retry, ATTR_TELLTALE_RETRY_REASONS)).toEqual(["context_length_exceeded"]);
    expect(attr(retry, ATTR_TELLTALE_RETRY_NON_RECOVERABLE)).toBe(true);
    const chats = named("chat gpt-4o-mini");
    expect(chats.map(parentOf)).toEqual([idOf(retry), idOf(retry)]);
    expect(chats.map((chat) => attr(chat, ATTR_TELLTALE_ERROR_CLASS))).toEqual(["context_length_exceeded", undefined]);
    expect(attr(chats[0]!, ATTR_TELLTALE_ERROR_RECOVERABLE)).toBe(false);
  });
});

describe("interrupt and resume (F14)", () => {
  it("records an interrupt as a pause, and a resume elsewhere joins the trace through the carrier the node injected", async () => {
    const checkpointer = new MemorySaver();
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("draft", () => ({ messages: [{ role: "assistant", content: "draft" }] }))
      .addNode("approve", () => {
        const answer = interrupt<{ carrier: TraceCarrier }, string>({ carrier: inject({}, runContext()) });
        return { messages: [{ role: "user", content: answer }] };
      })
      .addNode("publish", () => ({ messages: [] }))
      .addEdge(START, "draft")
      .addEdge("draft", "approve")
      .addEdge("approve", "publish")
      .addEdge("publish", END)
      .compile({ name: "approval", checkpointer });
    const config = { configurable: { thread_id: "order-1" }, callbacks: [telltale({ workflows: { approval: { steps: ["draft", "approve", "publish"] } } })] };
    const paused = await graph.invoke(input("write"), config);
    const carrier = ((paused as { __interrupt__?: unknown }).__interrupt__ as { value: { carrier: TraceCarrier } }[] | undefined)?.[0]?.value.carrier;
    expect(carrier?.traceparent).toMatch(/^00-/);

    const first = only("invoke_agent approval");
    expect(attr(first, ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("interrupted");
    expect(attr(first, ATTR_TELLTALE_INTERRUPTED)).toBe(true);
    expect(attr(first, ATTR_TELLTALE_KEEP_REASONS)).toBeUndefined();
    expect(first.status.code).toBe(SpanStatusCode.UNSET);
    const approve = only("step approve");
    expect(attr(approve, ATTR_TELLTALE_INTERRUPTED)).toBe(true);
    expect(approve.status.code).toBe(SpanStatusCode.UNSET);

    // The resuming process knows nothing but the checkpoint and the carrier.
    exporter.reset();
    await context.with(ROOT_CONTEXT, () => extract(carrier, () => graph.invoke(new Command({ resume: "yes" }), config)));
    const resumed = only("invoke_agent approval");
    expect(traceOf(resumed)).toBe(traceOf(first));
    expect(parentOf(resumed)).toBe(idOf(approve));
    expect(spans().filter((span) => span.name.startsWith("step ")).map((span) => attr(span, ATTR_TELLTALE_STEP_NAME))).toEqual(["approve", "publish"]);
    // The steps before the interrupt ran in the first run: the resumed one declares none, and is not partial.
    expect(attr(resumed, ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("ok");
  });
});

describe("runs that fail", () => {
  it("records a node that throws on its step and on the workflow", async () => {
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("explode", () => {
        throw new TypeError("bad state");
      })
      .addEdge(START, "explode")
      .compile({ name: "exploding" });
    await expect(graph.invoke(input("x"), { callbacks: [telltale()] })).rejects.toThrow("bad state");
    expect(only("step explode").status.code).toBe(SpanStatusCode.ERROR);
    expect(attr(only("invoke_agent exploding"), ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("error");
  });

  it("records a tool that throws on its tool span", async () => {
    const mock = await mockLlm();
    const broken = tool(
      async () => {
        throw new Error("backend down");
      },
      { name: "broken", description: "broken", schema: z.object({}) },
    );
    const graph = await toolGraph([broken], "broken-tool");
    mock.enqueue({ kind: "tool_calls", calls: [{ name: "broken" }] }, { kind: "ok" });
    await graph.invoke(input("x"), { callbacks: [telltale()] });
    const span = only("execute_tool broken");
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.events.some((event) => event.name === "exception")).toBe(true);
  });

  it("records a model call the provider refuses (not retried) with its error class on the one chat span", async () => {
    const mock = await mockLlm();
    const model = chatOpenAI(mock, 3);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addEdge(START, "agent")
      .compile({ name: "unauthorized" });
    mock.enqueue({ kind: "error", error: "authentication" });
    await expect(graph.invoke(input("x"), { callbacks: [telltale()] })).rejects.toThrow();
    const chat = only("chat gpt-4o-mini");
    expect(attr(chat, ATTR_TELLTALE_ERROR_CLASS)).toBe("auth");
    expect(attr(chat, ATTR_TELLTALE_RETRY_COUNT)).toBe(0);
    expect(only("step agent").status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe("other run shapes", () => {
  it("traces a top-level sequence (prompt | model): its chain steps are steps, the model one chat span", async () => {
    const mock = await mockLlm();
    const chain = ChatPromptTemplate.fromMessages([["user", "Say {word}"]])
      .pipe(chatOpenAI(mock))
      .withConfig({ runName: "greet" });
    await chain.invoke({ word: "hi" }, { callbacks: [telltale()] });
    const workflow = only("invoke_agent greet");
    const steps = spans().filter((span) => span.name.startsWith("step "));
    expect(steps.map((span) => span.name)).toEqual(["step ChatPromptTemplate"]);
    const chat = only("chat gpt-4o-mini");
    expect(traceOf(chat)).toBe(traceOf(workflow));
    expect(parentOf(chat)).toBe(idOf(workflow));
  });

  it("records a model streamed for LangGraph's messages stream mode as one chat span, with its usage", async () => {
    const mock = await mockLlm();
    const model = chatOpenAI(mock);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addEdge(START, "agent")
      .compile({ name: "streaming" });
    const chunks: unknown[] = [];
    for await (const chunk of await graph.stream(input("hello"), { streamMode: "messages", callbacks: [telltale()] })) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(1);
    const chat = only("chat gpt-4o-mini");
    expect(attr(chat, ATTR_GEN_AI_REQUEST_STREAM)).toBe(true);
    expect(attr(chat, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBeGreaterThan(0);
    expect(parentOf(chat)).toBe(idOf(only("step agent")));
  });

  it("traces ChatAnthropic the same way, through the Anthropic instrumentation", async () => {
    const mock = await mockLlm();
    const model = chatAnthropic(mock);
    const graph = new StateGraph(MessagesAnnotation)
      .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
      .addEdge(START, "agent")
      .compile({ name: "claude" });
    await graph.invoke(input("hello"), { callbacks: [telltale()] });
    const chat = only("chat claude-sonnet-4-5");
    expect(attr(chat, ATTR_GEN_AI_PROVIDER_NAME)).toBe("anthropic");
    expect(attr(chat, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBeGreaterThan(0);
    expect(parentOf(chat)).toBe(idOf(only("step agent")));
  });

  it("keeps interleaved runs apart: no span crosses into another run's trace", async () => {
    const mock = await mockLlm();
    const lookup = tool(async ({ id }) => `order ${id}`, { name: "lookup", description: "lookup", schema: z.object({ id: z.string() }) });
    const graph = await toolGraph([lookup], "parallel");
    const runs = Array.from({ length: 6 }, (_, index) => index);
    // Each run's prompt names its own scenario: the mock answers each run's first call with a tool call.
    mock.setScript({ scenarios: { tools: [{ kind: "tool_calls", delayMs: 20 }, { kind: "ok", delayMs: 5 }] } });
    try {
      await Promise.all(runs.map((index) => graph.invoke(input(`[scenario:tools#run-${index}] order ${index}`), { callbacks: [telltale()] })));
    } finally {
      mock.setScript({});
    }
    const workflows = named("invoke_agent parallel");
    expect(new Set(workflows.map(traceOf)).size).toBe(runs.length);
    for (const workflow of workflows) {
      const own = traceSpans(traceOf(workflow));
      expect(own.map((span) => span.name).sort()).toEqual(
        ["chat gpt-4o-mini", "chat gpt-4o-mini", "execute_tool lookup", "invoke_agent parallel", "step agent", "step agent", "step tools"].sort(),
      );
      const byId = new Map(own.map((span) => [idOf(span), span]));
      for (const span of own) if (span !== workflow) expect(byId.has(parentOf(span)!)).toBe(true);
      const chats = named("chat gpt-4o-mini", own);
      for (const chat of chats) expect(byId.get(parentOf(chat)!)?.name).toBe("step agent");
    }
  });
});
