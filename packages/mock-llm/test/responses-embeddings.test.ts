import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_EMBEDDING_DIMENSIONS, startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { parseSse, post, tokens } from "./helpers.js";

let mock: MockLlm;
beforeEach(async () => {
  mock = await startMockLlm({ seed: 3 });
});
afterEach(async () => {
  await mock.close();
});

const INSTRUCTIONS = "Be brief.";
const INPUT = [{ role: "user", content: [{ type: "input_text", text: "What is a span?" }] }];
const INPUT_TOKENS = tokens(INSTRUCTIONS + "What is a span?");

type Json = Record<string, any>;
const respond = async (body: Json = {}, headers?: Record<string, string>) =>
  post(mock, "/v1/responses", { model: "gpt-4.1-mini", instructions: INSTRUCTIONS, input: INPUT, ...body }, { headers });

describe("responses", () => {
  it("answers a completed response with output_text and usage", async () => {
    const response = (await (await respond()).json()) as Json;
    expect(response).toMatchObject({ object: "response", status: "completed", error: null, incomplete_details: null, model: "gpt-4.1-mini" });
    expect(response.id).toMatch(/^resp_/);
    const [message] = response.output as Json[];
    expect(message).toMatchObject({ type: "message", role: "assistant", status: "completed" });
    const text = message?.content[0].text as string;
    expect(message?.content[0].type).toBe("output_text");
    expect(response.usage).toEqual({
      input_tokens: INPUT_TOKENS,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: tokens(text),
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: INPUT_TOKENS + tokens(text),
    });
  });

  it("streams the event sequence ending in response.completed with usage", async () => {
    const json = (await (await respond()).json()) as Json;
    const expectedText = json.output[0].content[0].text as string;
    const events = parseSse(await (await respond({ stream: true })).text());
    const names = events.map((event) => event.event);
    expect(names.slice(0, 5)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
    ]);
    expect(names.slice(-5)).toEqual([
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const data = events.map((event) => JSON.parse(event.data) as Json);
    expect(data.map((item) => item.sequence_number)).toEqual(data.map((_, index) => index));
    expect(data.every((item, index) => item.type === names[index])).toBe(true);
    expect(data[0]?.response.status).toBe("in_progress");
    const deltas = data.filter((item) => item.type === "response.output_text.delta").map((item) => item.delta as string);
    expect(deltas.join("")).toBe(expectedText);
    const completed = data.at(-1)?.response as Json;
    expect(completed.status).toBe("completed");
    expect(completed.usage.output_tokens).toBe(tokens(expectedText));
    expect(completed.usage.input_tokens).toBe(INPUT_TOKENS);
  });

  it("answers incomplete for truncation and content filtering", async () => {
    mock.enqueue({ kind: "truncated" }, { kind: "content_filter" }, { kind: "truncated" });
    const truncated = (await (await respond({ max_output_tokens: 4 })).json()) as Json;
    expect(truncated.status).toBe("incomplete");
    expect(truncated.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(truncated.usage.output_tokens).toBe(4);
    expect(truncated.output[0].status).toBe("incomplete");
    const filtered = (await (await respond()).json()) as Json;
    expect(filtered.incomplete_details).toEqual({ reason: "content_filter" });
    const streamed = parseSse(await (await respond({ stream: true, max_output_tokens: 4 })).text());
    expect(streamed.at(-1)?.event).toBe("response.incomplete");
    expect(JSON.parse(streamed.at(-1)?.data ?? "{}").response.incomplete_details).toEqual({ reason: "max_output_tokens" });
  });

  it("answers failed for an error payload, in JSON and streamed", async () => {
    mock.enqueue({ kind: "error_payload" }, { kind: "error_payload", error: "rate_limit", afterChunks: 1 });
    const failed = (await (await respond()).json()) as Json;
    expect(failed.status).toBe("failed");
    expect(failed.error).toEqual({
      code: "server_error",
      message: "The server had an error while processing your request. Sorry about that!",
    });
    const events = parseSse(await (await respond({ stream: true })).text());
    expect(events.map((event) => event.event)).toEqual(["response.created", "response.failed"]);
    const last = JSON.parse(events[1]?.data ?? "{}") as Json;
    expect(last.sequence_number).toBe(1);
    expect(last.response.status).toBe("failed");
    expect(last.response.error.code).toBe("rate_limit_exceeded");
  });

  it("stream_incomplete: the event stream ends cleanly without response.completed", async () => {
    mock.enqueue({ kind: "stream_incomplete", afterChunks: 1000 });
    const response = await respond({ stream: true });
    const types = parseSse(await response.text()).map((event) => event.event);
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.output_item.done");
    expect(types.some((type) => ["response.completed", "response.incomplete", "response.failed"].includes(type ?? ""))).toBe(false);
  });

  it("answers function calls and refusals", async () => {
    const tools = [{ type: "function", name: "search", parameters: { type: "object", properties: { q: { type: "string" } } } }];
    const calls = (await (await respond({ tools }, { "x-mock-scenario": "tool_calls" })).json()) as Json;
    expect(calls.output).toEqual([
      {
        type: "function_call",
        id: expect.stringMatching(/^fc_/),
        call_id: expect.stringMatching(/^call_/),
        name: "search",
        arguments: '{"q":"mock"}',
        status: "completed",
      },
    ]);
    const streamed = parseSse(await (await respond({ tools, stream: true }, { "x-mock-scenario": "tool_calls" })).text());
    const argumentDeltas = streamed
      .filter((event) => event.event === "response.function_call_arguments.delta")
      .map((event) => (JSON.parse(event.data) as Json).delta as string);
    expect(argumentDeltas.join("")).toBe('{"q":"mock"}');
    const refused = (await (await respond({}, { "x-mock-scenario": "refusal" })).json()) as Json;
    expect(refused.output[0].content).toEqual([{ type: "refusal", refusal: "I'm sorry, but I can't help with that request." }]);
  });
});

describe("embeddings", () => {
  it("answers float vectors with usage per input", async () => {
    const response = (await (
      await post(mock, "/v1/embeddings", { model: "text-embedding-3-small", input: ["hello", "trace spans"], dimensions: 4 })
    ).json()) as Json;
    expect(response.object).toBe("list");
    expect(response.model).toBe("text-embedding-3-small");
    expect(response.usage).toEqual({ prompt_tokens: tokens("hello") + tokens("trace spans"), total_tokens: tokens("hello") + tokens("trace spans") });
    const vectors = (response.data as Json[]).map((item) => item.embedding as number[]);
    expect((response.data as Json[]).map((item) => [item.object, item.index])).toEqual([["embedding", 0], ["embedding", 1]]);
    expect(vectors.map((vector) => vector.length)).toEqual([4, 4]);
    const norm = Math.sqrt(vectors[0]!.reduce((sum, value) => sum + value * value, 0));
    expect(norm).toBeCloseTo(1, 5);
  });

  it("encodes base64 float32 when asked, matching the float form", async () => {
    const floats = (await (await post(mock, "/v1/embeddings", { model: "m", input: "hello" })).json()) as Json;
    const encoded = (await (await post(mock, "/v1/embeddings", { model: "m", input: "hello", encoding_format: "base64" })).json()) as Json;
    const bytes = Buffer.from(encoded.data[0].embedding as string, "base64");
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(decoded).toHaveLength(DEFAULT_EMBEDDING_DIMENSIONS);
    expect(decoded).toEqual(floats.data[0].embedding);
  });

  it("applies route-scoped errors", async () => {
    mock.setScript({ routes: { embeddings: [{ kind: "error", status: 500 }] } });
    expect((await post(mock, "/v1/embeddings", { model: "m", input: "x" })).status).toBe(500);
    expect((await respond()).status).toBe(200);
    expect((await post(mock, "/v1/embeddings", { model: "m", input: "x" })).status).toBe(200);
  });
});
