import { afterEach, describe, expect, it } from "vitest";
import { SpanStatusCode } from "@opentelemetry/api";
import { tool } from "@langchain/core/tools";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import {
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_TELLTALE_STEP_NAME,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
} from "@telltale/core/attributes";
import { telltale } from "@telltale/langchain";
import { z } from "zod";
import { attr, chatOpenAI, exporter, idOf, mockLlm, named, only, parentOf, spans, traceOf } from "./harness.js";

afterEach(() => exporter.reset());

const search = tool(async ({ query }) => `results for ${query}`, {
  name: "search",
  description: "Searches the docs",
  schema: z.object({ query: z.string() }),
});

async function researchGraph() {
  const mock = await mockLlm();
  const model = chatOpenAI(mock).bindTools([search]);
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", new ToolNode([search]))
    .addNode("answer", () => ({ messages: [] }))
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (state) => ((state.messages.at(-1) as { tool_calls?: unknown[] }).tool_calls?.length ? "tools" : END))
    .addEdge("tools", "agent")
    .addEdge("answer", END)
    .compile({ name: "research" });
}

describe("a LangGraph run", () => {
  it("is one trace: the graph a workflow, its nodes steps, the tool a tool span, each model call one chat span under its node", async () => {
    const mock = await mockLlm();
    const graph = await researchGraph();
    mock.enqueue({ kind: "tool_calls", calls: [{ name: "search", arguments: { query: "otel" } }] }, { kind: "ok", text: "done" });
    await graph.invoke({ messages: [{ role: "user", content: "hi" }] }, { callbacks: [telltale({ workflows: { research: { steps: ["agent", "tools", "answer"] } } })] });

    const workflow = only("invoke_agent research");
    expect(new Set(spans().map(traceOf))).toEqual(new Set([traceOf(workflow)]));
    const steps = spans().filter((span) => span.name.startsWith("step "));
    expect(steps.map((span) => attr(span, ATTR_TELLTALE_STEP_NAME))).toEqual(["agent", "tools", "agent"]);
    for (const step of steps) expect(parentOf(step)).toBe(idOf(workflow));
    const chats = named("chat gpt-4o-mini");
    expect(chats).toHaveLength(2);
    const agentSteps = steps.filter((step) => attr(step, ATTR_TELLTALE_STEP_NAME) === "agent");
    expect(chats.map(parentOf)).toEqual(agentSteps.map(idOf));
    for (const chat of chats) {
      expect(attr(chat, ATTR_GEN_AI_PROVIDER_NAME)).toBe("openai");
      expect(attr(chat, ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBeGreaterThan(0);
    }
    const searchSpan = only("execute_tool search");
    expect(parentOf(searchSpan)).toBe(idOf(steps[1]!));
    expect(attr(searchSpan, ATTR_GEN_AI_TOOL_CALL_ID)).toMatch(/^call_/);
    expect(attr(workflow, ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("partial");
    expect(attr(workflow, ATTR_TELLTALE_WORKFLOW_STEPS_MISSING)).toEqual(["answer"]);
    expect(workflow.status.code).toBe(SpanStatusCode.UNSET);
  });
});
