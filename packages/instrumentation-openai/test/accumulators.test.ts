// The stream accumulators on their own, fed the events a cut or failing stream delivers: they decide how a stream
// ended from its terminal event (never from a snapshot's status) and say what a cut-short stream lacked.
import { resolveContentCapture } from "@telltale/instrumentation-common";
import { describe, expect, it } from "vitest";
import { ChatStreamAccumulator } from "../src/chat.js";
import { ResponsesStreamAccumulator, summarizeResponse } from "../src/responses.js";

const capture = resolveContentCapture({ captureMessageContent: false }, {});
const snapshot = { id: "resp_1", object: "response", status: "in_progress", model: "gpt-4.1", output: [], usage: null };

describe("ResponsesStreamAccumulator", () => {
  it("a stream cut after a tool call started: the call is recorded, no finish reason, no usage", () => {
    const responses = new ResponsesStreamAccumulator(false);
    responses.add({ type: "response.created", response: snapshot });
    responses.add({ type: "response.in_progress", response: snapshot });
    responses.add({
      type: "response.output_item.added",
      output_index: 0,
      item: { type: "function_call", id: "fc_1", call_id: "call_1", name: "lookup", arguments: "", status: "in_progress" },
    });
    expect(responses.missingEnd()).toBe("no response.completed");
    expect(responses.ending).toBeUndefined();
    const summary = summarizeResponse(responses.response(), capture, responses.ending);
    expect(summary).toMatchObject({ responseId: "resp_1", finishReasons: [], toolCalls: [{ id: "call_1", name: "lookup" }] });
    expect(summary.usage).toBeUndefined();
    expect(summary.softError).toBeUndefined();
  });

  it("an error event ends the stream as failed, with the error's code", () => {
    const responses = new ResponsesStreamAccumulator(false);
    responses.add({ type: "response.created", response: snapshot });
    responses.add({ type: "error", code: "server_error", message: "The server had an error", param: null, sequence_number: 2 });
    expect(responses.missingEnd()).toBeUndefined();
    const summary = summarizeResponse(responses.response(), capture, responses.ending);
    expect(summary.finishReasons).toEqual(["error"]);
    expect(summary.softError).toEqual({ kind: "error_payload", detail: "server_error" });
  });

  it("the terminal event says how the response ended, whatever status its body still carries", () => {
    const responses = new ResponsesStreamAccumulator(false);
    const body = { ...snapshot, output: [{ type: "mcp_list_tools", id: "mcpl_1", server_label: "wiki", tools: [] }] };
    responses.add({ type: "response.completed", response: body });
    const summary = summarizeResponse(responses.response(), capture, responses.ending);
    expect(summary.finishReasons).toEqual(["tool_call"]);
    expect(summary.softError).toBeUndefined();
  });
});

describe("ChatStreamAccumulator", () => {
  const chunk = (finishReason: string | null, index = 0) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    model: "gpt-4o-mini",
    choices: [{ index, delta: { content: "Hi" }, finish_reason: finishReason }],
  });

  it("with include_usage, a stream whose usage chunk never came is incomplete", () => {
    const chat = new ChatStreamAccumulator(false, { stream: true, stream_options: { include_usage: true } });
    chat.add(chunk(null));
    expect(chat.missingEnd()).toBe("no finish_reason");
    chat.add(chunk("stop"));
    expect(chat.missingEnd()).toBe("no usage chunk");
    chat.add({ id: "chatcmpl-1", choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } });
    expect(chat.missingEnd()).toBeUndefined();
  });

  it("with n choices, every one needs its finish reason", () => {
    const chat = new ChatStreamAccumulator(false, { stream: true, n: 2 });
    chat.add(chunk("stop", 0));
    expect(chat.missingEnd()).toBe("no finish_reason");
    expect(chat.finishReasons()).toEqual(["stop", undefined]);
    chat.add(chunk("length", 1));
    expect(chat.missingEnd()).toBeUndefined();
    expect(chat.finishReasons()).toEqual(["stop", "length"]);
  });
});
