// The Responses API's output items, as the openai SDK's type definitions list them: every kind of tool call counts
// as one (names, ids, captured content, the conventions' `tool_call` finish reason), an output of tool items alone is
// not an empty answer, and how the response ended picks the finish reason. The mock answers with scripted 200
// bodies (its `error` step with status 200 and a body). On each of openai 5, 6 and 7.
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES,
  ATTR_TELLTALE_SOFT_ERROR,
} from "@telltale/core/attributes";
import type { MockLlm } from "@telltale/mock-llm";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAJORS, attr, client, exporter, instrumentAll, mockLlm, onlySpan } from "./harness.js";

const MODEL = "gpt-4.1";
const SPAN = `chat ${MODEL}`;

type Item = Record<string, unknown>;

/** A 200 whose body is a Responses `response` with these output items. */
function answer(output: Item[], status = "completed", incompleteReason?: string): Parameters<MockLlm["enqueue"]>[0] {
  return {
    kind: "error",
    status: 200,
    body: {
      id: "resp_scripted",
      object: "response",
      created_at: 1_700_000_000,
      status,
      error: null,
      incomplete_details: incompleteReason === undefined ? null : { reason: incompleteReason },
      model: MODEL,
      output,
      usage: { input_tokens: 12, output_tokens: 7, total_tokens: 19 },
    },
  };
}

const text = (content: string): Item => ({
  type: "message",
  id: "msg_1",
  status: "completed",
  role: "assistant",
  content: [{ type: "output_text", text: content, annotations: [] }],
});

const ITEMS: Record<string, Item> = {
  computer_call: { type: "computer_call", id: "cu_1", call_id: "call_cu", action: { type: "click", x: 1, y: 2 }, pending_safety_checks: [], status: "completed" },
  local_shell_call: { type: "local_shell_call", id: "lsh_1", call_id: "call_sh", action: { type: "exec", command: ["ls"], env: {} }, status: "completed" },
  mcp_call: { type: "mcp_call", id: "mcp_1", server_label: "wiki", name: "ask_question", arguments: '{"q":"x"}', output: "an answer" },
  mcp_approval_request: { type: "mcp_approval_request", id: "mcpr_1", server_label: "wiki", name: "delete_page", arguments: "{}" },
  mcp_list_tools: { type: "mcp_list_tools", id: "mcpl_1", server_label: "wiki", tools: [{ name: "ask_question", input_schema: {} }] },
  web_search_call: { type: "web_search_call", id: "ws_1", status: "completed", action: { type: "search", query: "otel" } },
  file_search_call: { type: "file_search_call", id: "fs_1", status: "completed", queries: ["spans"], results: null },
  code_interpreter_call: { type: "code_interpreter_call", id: "ci_1", status: "completed", code: "1+1", container_id: "c", outputs: null },
  image_generation_call: { type: "image_generation_call", id: "ig_1", status: "completed", result: null },
};

/** The name and id each tool item is recorded under. */
const RECORDED: Record<string, { name: string; id: string }> = {
  computer_call: { name: "computer", id: "call_cu" },
  local_shell_call: { name: "local_shell", id: "call_sh" },
  mcp_call: { name: "ask_question", id: "mcp_1" },
  mcp_approval_request: { name: "delete_page", id: "mcpr_1" },
  mcp_list_tools: { name: "mcp_list_tools", id: "mcpl_1" },
  web_search_call: { name: "web_search", id: "ws_1" },
  file_search_call: { name: "file_search", id: "fs_1" },
  code_interpreter_call: { name: "code_interpreter", id: "ci_1" },
  image_generation_call: { name: "image_generation", id: "ig_1" },
};

let mock: MockLlm;
beforeAll(async () => {
  instrumentAll();
  mock = await mockLlm();
});
beforeEach(() => {
  exporter.reset();
  mock.reset();
});
afterEach(() => {
  instrumentAll();
});

describe.each(MAJORS)("$label", (major) => {
  it.each(Object.keys(ITEMS))("%s is a tool call: its name and id, finish reason tool_call, not an empty answer", async (type) => {
    mock.enqueue(answer([ITEMS[type]!]));
    await client(major, mock).responses.create({ model: MODEL, input: "Use your tools" });
    const span = onlySpan(SPAN);
    expect(span.attributes).toMatchObject({
      [ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES]: [RECORDED[type]!.name],
      [ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS]: [RECORDED[type]!.id],
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["tool_call"],
    });
    expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
  });

  it("a tool call the model followed with its answer finished with `stop`", async () => {
    mock.enqueue(answer([ITEMS.web_search_call!, text("OpenTelemetry is …")]));
    await client(major, mock).responses.create({ model: MODEL, input: "Search" });
    const span = onlySpan(SPAN);
    expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES)).toEqual(["web_search"]);
    expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["stop"]);
  });

  it("an answer of nothing but reasoning is still empty", async () => {
    mock.enqueue(answer([{ type: "reasoning", id: "rs_1", summary: [] }]));
    await client(major, mock).responses.create({ model: MODEL, input: "Think" });
    expect(attr(onlySpan(SPAN), ATTR_TELLTALE_SOFT_ERROR)).toBe("empty_output");
  });

  it("an incomplete response's finish reason is the conventions' value for its reason", async () => {
    mock.enqueue(answer([text("cut")], "incomplete", "max_output_tokens"), answer([text("cut")], "incomplete", "content_filter"));
    const c = client(major, mock);
    await c.responses.create({ model: MODEL, input: "Long" });
    expect(attr(onlySpan(SPAN), ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["length"]);
    exporter.reset();
    await c.responses.create({ model: MODEL, input: "Long" });
    expect(attr(onlySpan(SPAN), ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["content_filter"]);
  });

  it("content capture records the earlier turns' tool items of the input too, and their results as the tool's", async () => {
    instrumentAll({ captureMessageContent: true });
    const input = [
      { role: "user", content: "Click the button" },
      ITEMS.computer_call!,
      { type: "computer_call_output", call_id: "call_cu", output: { type: "computer_screenshot", image_url: "data:x" } },
      { type: "mcp_approval_response", approval_request_id: "mcpr_1", approve: true },
    ];
    await client(major, mock).responses.create({ model: MODEL, input: input as never });
    const messages = JSON.parse(attr(onlySpan(SPAN), ATTR_GEN_AI_INPUT_MESSAGES) as string) as unknown[];
    expect(messages).toEqual([
      { role: "user", parts: [{ type: "text", content: "Click the button" }] },
      { role: "assistant", parts: [{ type: "tool_call", id: "call_cu", name: "computer", arguments: '{"type":"click","x":1,"y":2}' }] },
      { role: "tool", parts: [{ type: "tool_call_response", id: "call_cu", response: '{"type":"computer_screenshot","image_url":"data:x"}' }] },
      { role: "tool", parts: [{ type: "tool_call_response", id: "mcpr_1", response: "true" }] },
    ]);
  });

  it("content capture records each tool item: calls the app runs as tool_call, calls OpenAI ran as server_tool_call", async () => {
    instrumentAll({ captureMessageContent: true });
    mock.enqueue(answer([ITEMS.mcp_call!, ITEMS.computer_call!]));
    await client(major, mock).responses.create({ model: MODEL, input: "Use your tools" });
    const messages = JSON.parse(attr(onlySpan(SPAN), ATTR_GEN_AI_OUTPUT_MESSAGES) as string) as Array<{ parts: unknown[]; finish_reason: string }>;
    expect(messages).toEqual([
      {
        role: "assistant",
        finish_reason: "tool_call",
        parts: [
          { type: "server_tool_call", id: "mcp_1", name: "ask_question", server_tool_call: { type: "mcp_call", arguments: '{"q":"x"}' } },
          { type: "server_tool_call_response", id: "mcp_1", server_tool_call_response: { type: "mcp_call", response: "an answer" } },
          { type: "tool_call", id: "call_cu", name: "computer", arguments: '{"type":"click","x":1,"y":2}' },
        ],
      },
    ]);
  });
});
