/**
 * A LangGraph support agent with nothing Telltale-specific in its graph: run it with
 * `node --import @telltale/node/register dist/agent.mjs pause <dir>` and then `... resume <dir>`.
 *
 * `pause` runs the graph against an embedded mock LLM whose first answer is a rate limit (ChatOpenAI's AsyncCaller
 * retries it) and whose order lookup comes back empty; the graph stops at the `approve` node's `interrupt()` and
 * saves its checkpoint and the trace carrier in `<dir>`. `resume`, another process, answers the interrupt: its spans
 * join the first process's trace. Each prints the traces Telltale kept, as JSON.
 */
import path from "node:path";
import { trace } from "@opentelemetry/api";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { Command, END, interrupt, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { ToolNode } from "@langchain/langgraph/prebuilt";
import { extract, inject, type TraceCarrier } from "@telltale/core";
import { configureLangChain, runContext } from "@telltale/langchain";
import { startMockLlm } from "@telltale/mock-llm";
import { getSdk } from "@telltale/node";
import { z } from "zod";
import { FileCheckpointer } from "./checkpoints.js";

const [mode = "pause", dir = "."] = process.argv.slice(2);

// What Telltale cannot know from the graph itself: the expected path (F6) and which tool has side effects (F8).
configureLangChain({
  workflows: { support: { steps: ["agent", "tools", "approve", "refund"] } },
  tools: { issue_refund: { sideEffect: true, idempotencyKey: (input) => `refund:${(input as { order: string }).order}` } },
});

/** The traces the refund node ran in. */
const traceIds = new Set<string>();

async function main(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const mock = await startMockLlm({ port: 0, seed: 1 });
  const searchOrders = tool(async () => "", { name: "search_orders", description: "Finds orders", schema: z.object({ customer: z.string() }) });
  const issueRefund = tool(async ({ order }) => `refunded ${order}`, { name: "issue_refund", description: "Refunds", schema: z.object({ order: z.string() }) });
  const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: "mock", maxRetries: 2, configuration: { baseURL: `${mock.url}/v1` } }).bindTools([searchOrders]);

  const checkpointer = new FileCheckpointer(path.join(dir, "checkpoints.json"));
  const graph = new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addNode("tools", new ToolNode([searchOrders]))
    .addNode("approve", () => {
      // The carrier rides with the question to whoever answers it, possibly another process (F14).
      const answer = interrupt<{ question: string; trace: TraceCarrier }, string>({ question: "Refund order 42?", trace: inject({}, runContext()) });
      return { messages: [{ role: "user", content: answer }] };
    })
    .addNode("refund", async () => {
      traceIds.add(trace.getSpanContext(runContext())?.traceId ?? "");
      return { messages: [{ role: "assistant", content: await issueRefund.invoke({ order: "42" }) }] };
    })
    .addEdge(START, "agent")
    .addConditionalEdges("agent", (state) => ((state.messages.at(-1) as { tool_calls?: unknown[] }).tool_calls?.length ? "tools" : "approve"))
    .addEdge("tools", "agent")
    .addEdge("approve", "refund")
    .addEdge("refund", END)
    .compile({ name: "support", checkpointer });

  const config = { configurable: { thread_id: "ticket-42" } };
  const carrierFile = path.join(dir, "carrier.json");
  if (mode === "pause") {
    mock.enqueue(
      { kind: "error", error: "server_error" },
      { kind: "tool_calls", calls: [{ name: "search_orders", arguments: { customer: "ada" } }] },
      { kind: "ok", text: "No orders found; asking for approval." },
    );
    const paused = await graph.invoke({ messages: [{ role: "user", content: "Refund my last order" }] }, config);
    const interrupts = (paused as { __interrupt__?: { value: { trace: TraceCarrier } }[] }).__interrupt__ ?? [];
    writeFileSync(carrierFile, JSON.stringify(interrupts[0]?.value.trace ?? {}));
    checkpointer.save();
  } else {
    const carrier = JSON.parse(readFileSync(carrierFile, "utf8")) as TraceCarrier;
    await extract(carrier, () => graph.invoke(new Command({ resume: "yes" }), config));
  }
  await mock.close();

  const sdk = getSdk();
  await sdk?.shutdown();
  // The in-process sampler of each process decides on the spans that process made; `traceIds` shows that the
  // resumed run's spans are in the first run's trace (a collector tier puts both halves together: deploy/).
  console.log(JSON.stringify({ mode, kept: sdk?.keptTraces() ?? [], traceIds: [...traceIds] }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
