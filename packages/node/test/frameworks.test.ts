// @telltale/node registers the LangChain handler and the Agents SDK processor by itself: real child processes under
// `node --import @telltale/node/register`, the real frameworks against @telltale/mock-llm, spans read back from a
// loopback OTLP/HTTP JSON receiver.
import path from "node:path";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtures, runChild, type ChildResult } from "./child-process.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./otlp-receiver.js";

let mock: MockLlm;
let receiver: OtlpReceiver;

beforeAll(async () => {
  mock = await startMockLlm({ port: 0, seed: 3, script: { scenarios: { lookup: [{ kind: "tool_calls" }, { kind: "ok", text: "Shipped." }] } } });
  receiver = await startOtlpReceiver();
});

afterAll(async () => {
  await mock.close();
  await receiver.close();
});

function runApp(fixture: string, serviceName: string): Promise<ChildResult> {
  // Not vitest's NODE_ENV either: the Agents SDK turns its tracing off under NODE_ENV=test.
  return runChild(["--import", "@telltale/node/register", path.join(fixtures, fixture)], {
    NODE_ENV: undefined,
    MOCK_LLM_URL: mock.url,
    OTEL_SERVICE_NAME: serviceName,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    TELLTALE_SAMPLING: "off",
  });
}

function spansOf(serviceName: string): ReceivedSpan[] {
  return receiver.spans.filter((span) => span.serviceName === serviceName);
}

function only(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`expected one ${name}, found [${spans.map((span) => span.name).join(", ")}]`);
  return found[0]!;
}

describe("@telltale/node and the agent frameworks", () => {
  it("traces a LangGraph app without any callbacks in its code: graph, node and the one chat span under it", async () => {
    const result = await runApp("app-langgraph.mjs", "langgraph-app");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toHaveProperty("answer");
    const spans = spansOf("langgraph-app");
    const workflow = only(spans, "invoke_agent support");
    const step = only(spans, "step agent");
    const chat = only(spans, "chat gpt-4o-mini");
    expect(step.parentSpanId).toBe(workflow.spanId);
    expect(chat.parentSpanId).toBe(step.spanId);
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
    expect(chat.attributes).toMatchObject({ "gen_ai.provider.name": "openai", "server.address": "127.0.0.1" });
  });

  it("traces an Agents SDK app without any processor in its code, beside the SDK's own exporter", async () => {
    const result = await runApp("app-agents.mjs", "agents-app");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ answer: "Shipped." });
    const spans = spansOf("agents-app");
    const workflow = only(spans, "invoke_agent Agent workflow");
    const agent = only(spans, "invoke_agent Support");
    expect(agent.parentSpanId).toBe(workflow.spanId);
    const chats = spans.filter((span) => span.name === "chat gpt-4o-mini");
    expect(chats).toHaveLength(2);
    const turnIds = new Set(spans.filter((span) => span.name.startsWith("step turn")).map((span) => span.spanId));
    for (const chat of chats) expect(turnIds.has(chat.parentSpanId!)).toBe(true);
    expect(only(spans, "execute_tool lookup").attributes).toMatchObject({ "gen_ai.tool.name": "lookup", "gen_ai.tool.type": "function" });
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1);
  });
});
