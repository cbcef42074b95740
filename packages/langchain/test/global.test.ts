import { afterEach, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { CallbackManager } from "@langchain/core/callbacks/manager";
import { END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { LangChainInstrumentation, telltale } from "@telltale/langchain";
import { chatOpenAI, exporter, idOf, mockLlm, named, only, parentOf, spans } from "./harness.js";

const run = promisify(execFile);
afterEach(() => exporter.reset());

async function graph() {
  const model = chatOpenAI(await mockLlm());
  return new StateGraph(MessagesAnnotation)
    .addNode("agent", async (state) => ({ messages: [await model.invoke(state.messages)] }))
    .addEdge(START, "agent")
    .addEdge("agent", END)
    .compile({ name: "global" });
}

describe("the handler registered for every run", () => {
  const instrumentation = new LangChainInstrumentation({ enabled: false });

  it("traces runs that pass no callbacks, and a run that passes telltale() too is recorded once", async () => {
    instrumentation.manuallyInstrument(CallbackManager);
    try {
      const compiled = await graph();
      await compiled.invoke({ messages: [{ role: "user", content: "hi" }] });
      const workflow = only("invoke_agent global");
      expect(parentOf(only("step agent"))).toBe(idOf(workflow));
      expect(parentOf(only("chat gpt-4o-mini"))).toBe(idOf(only("step agent")));
      exporter.reset();
      await compiled.invoke({ messages: [{ role: "user", content: "hi" }] }, { callbacks: [telltale()] });
      expect(spans().map((span) => span.name).sort()).toEqual(["chat gpt-4o-mini", "invoke_agent global", "step agent"]);
    } finally {
      instrumentation.disable();
    }
    exporter.reset();
    await (await graph()).invoke({ messages: [{ role: "user", content: "hi" }] });
    expect(named("invoke_agent global")).toEqual([]);
  });

  it("works from require(): the CJS builds, registered by the require hook", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/cjs-graph.cjs", import.meta.url));
    const { stdout } = await run(process.execPath, [fixture], { cwd: fileURLToPath(new URL("..", import.meta.url)) });
    const finished = stdout.trim().split("\n").map((line) => JSON.parse(line) as { name: string; trace: string });
    expect(finished.map((span) => span.name)).toEqual(["step plan", "step act", "invoke_agent cjs-graph"]);
    expect(new Set(finished.map((span) => span.trace)).size).toBe(1);
  });
});
