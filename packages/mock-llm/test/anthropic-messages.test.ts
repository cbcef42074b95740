import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { parseSse, post, readUntilEnd, tokens } from "./helpers.js";

let mock: MockLlm;
beforeEach(async () => {
  mock = await startMockLlm({ seed: 5 });
});
afterEach(async () => {
  await mock.close();
});

type Json = Record<string, any>;
const SYSTEM = "You plan trips.";
const MESSAGES = [{ role: "user", content: [{ type: "text", text: "Plan a day in Lisbon." }] }];
const INPUT_TOKENS = tokens(SYSTEM + "Plan a day in Lisbon.");

// The Anthropic SDK sends its key as x-api-key, and talks to `${baseURL}/v1/messages`.
const messages = (body: Json = {}, headers: Record<string, string> = {}) =>
  post(
    mock,
    "/v1/messages",
    { model: "claude-sonnet-4-5", max_tokens: 1024, system: SYSTEM, messages: MESSAGES, ...body },
    { headers: { "x-api-key": "sk-ant-secret", "anthropic-version": "2023-06-01", ...headers } },
  );

describe("anthropic messages", () => {
  it("answers a message with usage including cache tokens", async () => {
    mock.enqueue({ kind: "ok", usage: { cacheReadInputTokens: 2, cacheCreationInputTokens: 1 } });
    const response = await messages();
    expect(response.status).toBe(200);
    expect(response.headers.get("request-id")).toMatch(/^req_/);
    const message = (await response.json()) as Json;
    expect(message).toMatchObject({ type: "message", role: "assistant", model: "claude-sonnet-4-5", stop_reason: "end_turn", stop_sequence: null });
    expect(message.id).toMatch(/^msg_01/);
    const [block] = message.content as Json[];
    expect(block?.type).toBe("text");
    expect(message.usage).toEqual({
      input_tokens: INPUT_TOKENS - 3,
      cache_creation_input_tokens: 1,
      cache_read_input_tokens: 2,
      output_tokens: tokens(block?.text as string),
      service_tier: "standard",
    });
    expect(mock.requests[0]?.headers["x-api-key"]).toBeUndefined();
    expect(mock.requests[0]?.headers["anthropic-version"]).toBe("2023-06-01");
  });

  it("streams message_start … message_stop with the final usage in message_delta", async () => {
    const expected = (((await (await messages()).json()) as Json).content[0].text) as string;
    const response = await messages({ stream: true });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = parseSse(await response.text());
    const names = events.map((event) => event.event);
    expect(names.slice(0, 3)).toEqual(["message_start", "ping", "content_block_start"]);
    expect(names.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    const data = events.map((event) => JSON.parse(event.data) as Json);
    expect(data.every((item, index) => item.type === names[index])).toBe(true);
    expect(data[0]?.message.usage).toMatchObject({ input_tokens: INPUT_TOKENS, output_tokens: 1 });
    expect(data[2]).toEqual({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    const text = data
      .filter((item) => item.type === "content_block_delta")
      .map((item) => {
        expect(item.delta.type).toBe("text_delta");
        return item.delta.text as string;
      })
      .join("");
    expect(text).toBe(expected);
    const delta = data.at(-2);
    expect(delta?.delta).toEqual({ stop_reason: "end_turn", stop_sequence: null });
    expect(delta?.usage).toEqual({
      input_tokens: INPUT_TOKENS,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: tokens(expected),
    });
  });

  it("answers tool_use blocks, in JSON and streamed", async () => {
    const tools = [{ name: "book_hotel", input_schema: { type: "object", properties: { nights: { type: "integer" }, city: { enum: ["Lisbon", "Porto"] } } } }];
    mock.enqueue({ kind: "tool_calls" }, { kind: "tool_calls" });
    const message = (await (await messages({ tools })).json()) as Json;
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      { type: "tool_use", id: expect.stringMatching(/^toolu_01/), name: "book_hotel", input: { nights: 1, city: "Lisbon" } },
    ]);
    const data = parseSse(await (await messages({ tools, stream: true })).text()).map((event) => JSON.parse(event.data) as Json);
    const start = data.find((item) => item.type === "content_block_start");
    expect(start?.content_block).toMatchObject({ type: "tool_use", name: "book_hotel", input: {} });
    const json = data
      .filter((item) => item.type === "content_block_delta")
      .map((item) => {
        expect(item.delta.type).toBe("input_json_delta");
        return item.delta.partial_json as string;
      })
      .join("");
    expect(JSON.parse(json)).toEqual({ nights: 1, city: "Lisbon" });
    expect(data.find((item) => item.type === "message_delta")?.delta.stop_reason).toBe("tool_use");
  });

  it("maps truncation, refusal and empty output to stop reasons", async () => {
    mock.enqueue({ kind: "truncated" }, { kind: "refusal" }, { kind: "empty" }, { kind: "content_filter" });
    const truncated = (await (await messages({ max_tokens: 2 })).json()) as Json;
    const refused = (await (await messages()).json()) as Json;
    const empty = (await (await messages()).json()) as Json;
    const filtered = (await (await messages()).json()) as Json;
    expect(truncated.stop_reason).toBe("max_tokens");
    expect(truncated.usage.output_tokens).toBe(2);
    expect(truncated.content[0].text).toHaveLength(8);
    expect(refused.stop_reason).toBe("refusal");
    expect(refused.content).toEqual([]);
    expect([empty.stop_reason, empty.content, empty.usage.output_tokens]).toEqual(["end_turn", [], 0]);
    expect(filtered.stop_reason).toBe("refusal");
  });

  it("answers 529 overloaded_error and 429 rate_limit_error with retry-after", async () => {
    mock.enqueue({ kind: "error", error: "overloaded" }, { kind: "error", error: "rate_limit", retryAfterSeconds: 2 });
    const overloaded = await messages();
    expect(overloaded.status).toBe(529);
    const overloadedBody = (await overloaded.json()) as Json;
    expect(overloadedBody).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: "Overloaded" },
      request_id: overloaded.headers.get("request-id"),
    });
    const limited = await messages();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(limited.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(((await limited.json()) as Json).error.type).toBe("rate_limit_error");
  });

  it("sends an error event inside a stream, and an error object in a 200 body", async () => {
    mock.enqueue({ kind: "error_payload", afterChunks: 3 }, { kind: "error_payload", error: "server_error" });
    const events = parseSse(await (await messages({ stream: true })).text());
    expect(events.map((event) => event.event)).toEqual(["message_start", "ping", "content_block_start", "error"]);
    expect(JSON.parse(events[3]?.data ?? "{}")).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    const body = await messages();
    expect(body.status).toBe(200);
    expect(((await body.json()) as Json).error).toEqual({ type: "api_error", message: "Internal server error" });
  });

  it("stream_incomplete: the stream ends cleanly without message_delta and message_stop", async () => {
    mock.enqueue({ kind: "stream_incomplete", afterChunks: 1000 });
    const { text, error } = await readUntilEnd(await messages({ stream: true }));
    expect(error).toBeUndefined();
    const names = parseSse(text).map((event) => event.event);
    expect(names.slice(0, 3)).toEqual(["message_start", "ping", "content_block_start"]);
    expect(names.at(-1)).toBe("content_block_stop");
    expect(names).not.toContain("message_delta");
    expect(names).not.toContain("message_stop");
  });

  it("cuts a stream and 404s unknown Anthropic paths in the Anthropic shape", async () => {
    mock.enqueue({ kind: "stream_cut", afterChunks: 4 });
    const { text, error } = await readUntilEnd(await messages({ stream: true }));
    expect(error).toBeInstanceOf(Error);
    expect(parseSse(text).map((event) => event.event)).toEqual(["message_start", "ping", "content_block_start", "content_block_delta"]);
    const missing = await post(mock, "/v1/messages/batches", {});
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as Json)).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });
});
