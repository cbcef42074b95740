import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { jsonEvents, parseSse, post, readUntilEnd, tokens } from "./helpers.js";

const PROMPT = [
  { role: "system", content: "You are terse." },
  { role: "user", content: [{ type: "text", text: "Summarise the trace." }] },
];
const PROMPT_TOKENS = tokens("You are terse." + "Summarise the trace.");

interface ChatCompletion {
  id: string;
  object: string;
  model: string;
  choices: Array<{
    index: number;
    finish_reason: string;
    message: {
      role: string;
      content: string | null;
      refusal: string | null;
      tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
    };
  }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

let mock: MockLlm;
beforeEach(async () => {
  mock = await startMockLlm({ seed: 7 });
});
afterEach(async () => {
  await mock.close();
});

const chat = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  post(mock, "/v1/chat/completions", { model: "gpt-4o-mini", messages: PROMPT, ...body }, { headers });

describe("chat completions: answers", () => {
  it("answers JSON with usage computed from the request", async () => {
    const response = await chat({});
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
    const completion = (await response.json()) as ChatCompletion;
    expect(completion.object).toBe("chat.completion");
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe("gpt-4o-mini");
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("stop");
    expect(choice?.message.role).toBe("assistant");
    expect(choice?.message.refusal).toBeNull();
    const content = choice?.message.content ?? "";
    expect(content.length).toBeGreaterThan(10);
    expect(completion.usage.prompt_tokens).toBe(PROMPT_TOKENS);
    expect(completion.usage.completion_tokens).toBe(tokens(content));
    expect(completion.usage.total_tokens).toBe(PROMPT_TOKENS + tokens(content));
  });

  it("is deterministic for a seed and differs across seeds", async () => {
    const first = ((await (await chat({})).json()) as ChatCompletion).choices[0]?.message.content;
    const again = ((await (await chat({})).json()) as ChatCompletion).choices[0]?.message.content;
    const sameSeed = await startMockLlm({ seed: 7 });
    const otherSeed = await startMockLlm({ seed: 8 });
    try {
      const body = { model: "gpt-4o-mini", messages: PROMPT };
      const fromSameSeed = ((await (await post(sameSeed, "/v1/chat/completions", body)).json()) as ChatCompletion).choices[0];
      const fromOtherSeed = ((await (await post(otherSeed, "/v1/chat/completions", body)).json()) as ChatCompletion).choices[0];
      expect(again).toBe(first);
      expect(fromSameSeed?.message.content).toBe(first);
      expect(fromOtherSeed?.message.content).not.toBe(first);
    } finally {
      await Promise.all([sameSeed.close(), otherSeed.close()]);
    }
  });

  it("streams SSE chunks with the include_usage final chunk and [DONE]", async () => {
    const expected = ((await (await chat({})).json()) as ChatCompletion).choices[0]?.message.content ?? "";
    const response = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const raw = parseSse(await response.text());
    expect(raw.every((event) => event.event === undefined)).toBe(true);
    expect(raw.at(-1)?.data).toBe("[DONE]");
    const chunks = raw.slice(0, -1).map((event) => JSON.parse(event.data) as Record<string, any>);
    expect(chunks.every((chunk) => chunk.object === "chat.completion.chunk")).toBe(true);
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
    expect(chunks[0]?.choices[0].delta).toEqual({ role: "assistant", content: "", refusal: null });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(expected);
    const finishChunk = chunks.at(-2);
    expect(finishChunk?.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toMatchObject({
      prompt_tokens: PROMPT_TOKENS,
      completion_tokens: tokens(expected),
      total_tokens: PROMPT_TOKENS + tokens(expected),
    });
  });

  it("streams without a usage chunk when include_usage is not asked", async () => {
    const chunks = parseSse(await (await chat({ stream: true })).text());
    expect(chunks.at(-1)?.data).toBe("[DONE]");
    const parsed = chunks.slice(0, -1).map((event) => JSON.parse(event.data) as Record<string, unknown>);
    expect(parsed.some((chunk) => "usage" in chunk)).toBe(false);
    expect(parsed.every((chunk) => Array.isArray(chunk.choices) && chunk.choices.length === 1)).toBe(true);
  });

  it("reports cached and reasoning tokens given by the step", async () => {
    mock.enqueue({ kind: "ok", text: "12345678", usage: { cacheReadInputTokens: 2, reasoningTokens: 5 } });
    const completion = (await (await chat({})).json()) as ChatCompletion & {
      usage: { completion_tokens_details: { reasoning_tokens: number } };
    };
    expect(completion.choices[0]?.message.content).toBe("12345678");
    expect(completion.usage.prompt_tokens_details.cached_tokens).toBe(2);
    expect(completion.usage.completion_tokens_details.reasoning_tokens).toBe(5);
    expect(completion.usage.completion_tokens).toBe(2 + 5);
  });
});

describe("chat completions: fault sequences and error bodies", () => {
  it("plays 429, 429, then 200 with retry headers and the exact OpenAI error body", async () => {
    mock.setScript({
      sequence: [
        { kind: "error", error: "rate_limit", retryAfterMs: 20, retryAfterSeconds: 1 },
        { kind: "error", status: 429, retryAfterMs: 30 },
        { kind: "ok", text: "finally" },
      ],
    });
    const first = await chat({});
    const second = await chat({});
    const third = await chat({});
    expect([first.status, second.status, third.status]).toEqual([429, 429, 200]);
    expect(first.headers.get("retry-after-ms")).toBe("20");
    expect(first.headers.get("retry-after")).toBe("1");
    expect(second.headers.get("retry-after-ms")).toBe("30");
    expect(second.headers.get("retry-after")).toBeNull();
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(await first.json()).toEqual({
      error: {
        message:
          "Rate limit reached for gpt-4o-mini in organization org-mock on requests per min (RPM): Limit 3, Used 3, " +
          "Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
        type: "requests",
        param: null,
        code: "rate_limit_exceeded",
      },
    });
    expect(((await third.json()) as ChatCompletion).choices[0]?.message.content).toBe("finally");
    // Once the sequence is used up, requests get normal answers.
    expect((await chat({})).status).toBe(200);
    expect(mock.requests.map((request) => [request.attempt, request.step.kind])).toEqual([
      [1, "error"],
      [2, "error"],
      [3, "ok"],
      [4, "ok"],
    ]);
  });

  it("records requests without credentials", async () => {
    await chat({}, { "x-api-key": "sk-other", "x-stainless-retry-count": "2" });
    const [recorded] = mock.requests;
    expect(recorded?.path).toBe("/v1/chat/completions");
    expect(recorded?.route).toBe("chat.completions");
    expect(recorded?.method).toBe("POST");
    expect(recorded?.body).toEqual({ model: "gpt-4o-mini", messages: PROMPT });
    expect(recorded?.sdkRetryCount).toBe(2);
    expect(recorded?.headers.authorization).toBeUndefined();
    expect(recorded?.headers["x-api-key"]).toBeUndefined();
    expect(JSON.stringify(recorded)).not.toContain("sk-");
  });

  it.each([
    [500, { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null }],
    [503, { message: "The engine is currently overloaded, please try again later.", type: "server_error", param: null, code: null }],
  ])("answers %i with the OpenAI server error body", async (status, error) => {
    mock.enqueue({ kind: "error", status });
    const response = await chat({});
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error });
  });

  it("has presets for quota, context length and auth errors", async () => {
    mock.enqueue(
      { kind: "error", error: "insufficient_quota" },
      { kind: "error", error: "context_length_exceeded" },
      { kind: "error", error: "authentication" },
      { kind: "error", status: 502, message: "Bad gateway", shouldRetry: false, headers: { "X-Custom": "yes" } },
    );
    const quota = await chat({});
    const context = await chat({});
    const auth = await chat({});
    const custom = await chat({});
    expect(quota.status).toBe(429);
    expect(((await quota.json()) as { error: unknown }).error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
    expect(context.status).toBe(400);
    expect(((await context.json()) as { error: unknown }).error).toMatchObject({
      type: "invalid_request_error",
      param: "messages",
      code: "context_length_exceeded",
    });
    expect(auth.status).toBe(401);
    expect(((await auth.json()) as { error: unknown }).error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    expect(custom.status).toBe(502);
    expect(custom.headers.get("x-should-retry")).toBe("false");
    expect(custom.headers.get("x-custom")).toBe("yes");
    expect(await custom.json()).toEqual({ error: { message: "Bad gateway", type: "server_error", param: null, code: null } });
  });

  it("answers unknown paths with a 404 in the OpenAI shape", async () => {
    const response = await post(mock, "/v1/nope", {});
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      "Unknown request URL: POST /v1/nope. Please check the URL for typos.",
    );
  });
});

describe("chat completions: scenarios", () => {
  it("keys sequences by the x-mock-scenario header and by [scenario:name#instance] markers", async () => {
    mock.setScript({
      scenarios: { flaky: [{ kind: "error", error: "server_error" }, { kind: "ok", text: "recovered" }] },
    });
    const marked = (instance: string) => ({ messages: [{ role: "user", content: `Hi [scenario:flaky#${instance}]` }] });
    const statuses = [
      (await chat(marked("a"))).status,
      (await chat(marked("b"))).status,
      (await chat(marked("a"))).status,
      (await chat({}, { "x-mock-scenario": "flaky" })).status,
      (await chat(marked("b"))).status,
      (await chat({}, { "x-mock-scenario": "flaky" })).status,
    ];
    expect(statuses).toEqual([500, 500, 200, 500, 200, 200]);
    expect(mock.requests.map((request) => [request.scenario, request.attempt])).toEqual([
      ["flaky#a", 1],
      ["flaky#b", 1],
      ["flaky#a", 2],
      ["flaky", 1],
      ["flaky#b", 2],
      ["flaky", 2],
    ]);
  });

  it("has built-in scenarios for every fault kind, and rate_limit_then_ok", async () => {
    const refusal = (await (await chat({}, { "x-mock-scenario": "refusal" })).json()) as ChatCompletion;
    expect(refusal.choices[0]?.message.refusal).toBe("I'm sorry, but I can't help with that request.");
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      statuses.push((await chat({ model: "gpt-4o-mini [scenario:rate_limit_then_ok#run1]" })).status);
    }
    expect(statuses).toEqual([429, 429, 200, 200]);
  });
});

describe("chat completions: soft failures in a 200", () => {
  it("answers tool calls for the request's tools, in JSON and streamed", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } } },
        },
      },
    ];
    mock.enqueue({ kind: "tool_calls" }, { kind: "tool_calls", calls: [{ name: "lookup", arguments: { id: 42 } }] });
    const json = (await (await chat({ tools })).json()) as ChatCompletion;
    const choice = json.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual([
      { id: expect.stringMatching(/^call_/), type: "function", function: { name: "get_weather", arguments: '{"city":"mock","days":1}' } },
    ]);
    expect(json.usage.completion_tokens).toBe(tokens("get_weather" + '{"city":"mock","days":1}'));

    const chunks = jsonEvents(
      (await (await chat({ tools, stream: true })).text()).replace(/data: \[DONE\]\n\n$/, ""),
    ) as Array<Record<string, any>>;
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(toolDeltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^call_/), type: "function", function: { name: "lookup", arguments: "" } });
    expect(toolDeltas.map((delta: { function: { arguments: string } }) => delta.function.arguments).join("")).toBe('{"id":42}');
    expect(chunks.at(-1)?.choices[0].finish_reason).toBe("tool_calls");
  });

  it("truncates at max_tokens with finish_reason length", async () => {
    mock.enqueue({ kind: "truncated" });
    const truncated = (await (await chat({ max_tokens: 3 })).json()) as ChatCompletion;
    expect(truncated.choices[0]?.finish_reason).toBe("length");
    expect(truncated.choices[0]?.message.content).toHaveLength(12);
    expect(truncated.usage.completion_tokens).toBe(3);
    // A normal answer longer than the limit is cut the same way.
    const natural = (await (await chat({ max_completion_tokens: 2 })).json()) as ChatCompletion;
    expect(natural.choices[0]?.finish_reason).toBe("length");
    expect(natural.usage.completion_tokens).toBe(2);
  });

  it("answers content_filter, refusal and empty output", async () => {
    mock.enqueue({ kind: "content_filter" }, { kind: "refusal", refusal: "No." }, { kind: "empty" });
    const filtered = (await (await chat({})).json()) as ChatCompletion;
    const refused = (await (await chat({})).json()) as ChatCompletion;
    const empty = (await (await chat({})).json()) as ChatCompletion;
    expect(filtered.choices[0]?.finish_reason).toBe("content_filter");
    expect(refused.choices[0]?.finish_reason).toBe("stop");
    expect(refused.choices[0]?.message).toEqual({ role: "assistant", content: null, refusal: "No.", annotations: [] });
    expect(empty.choices[0]?.message.content).toBe("");
    expect(empty.choices[0]?.finish_reason).toBe("stop");
    expect(empty.usage.completion_tokens).toBe(0);
  });

  it("streams a refusal as refusal deltas", async () => {
    mock.enqueue({ kind: "refusal", refusal: "I can not do that." });
    const chunks = jsonEvents((await (await chat({ stream: true })).text()).replace(/data: \[DONE\]\n\n$/, "")) as Array<Record<string, any>>;
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.refusal ?? "").join("")).toBe("I can not do that.");
    expect(chunks.some((chunk) => typeof chunk.choices[0]?.delta.content === "string" && chunk.choices[0].delta.content !== "")).toBe(false);
  });

  it("puts an error object in a 200 body and in a stream", async () => {
    mock.enqueue({ kind: "error_payload" }, { kind: "error_payload", error: "rate_limit", afterChunks: 1 });
    const json = await chat({});
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({
      error: { message: "The server had an error while processing your request. Sorry about that!", type: "server_error", param: null, code: null },
    });
    const events = parseSse(await (await chat({ stream: true })).text());
    expect(events).toHaveLength(2);
    expect(JSON.parse(events[1]?.data ?? "{}")).toMatchObject({ error: { code: "rate_limit_exceeded", type: "requests" } });
  });

  it("sends malformed JSON", async () => {
    mock.enqueue({ kind: "malformed_json" }, { kind: "malformed_json" });
    const response = await chat({});
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith('{"id":"chatcmpl-')).toBe(true);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    const events = parseSse(await (await chat({ stream: true })).text());
    expect(events).toHaveLength(2);
    expect(() => JSON.parse(events[1]?.data ?? "")).toThrow(SyntaxError);
  });
});

describe("chat completions: broken connections", () => {
  it("cuts a stream after N chunks", async () => {
    mock.enqueue({ kind: "stream_cut", afterChunks: 3 });
    const response = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    const { text, error } = await readUntilEnd(response);
    expect(error).toBeInstanceOf(Error);
    expect(parseSse(text)).toHaveLength(3);
    expect(text).not.toContain("[DONE]");
  });

  it("stream_incomplete: ends the response cleanly before the finish_reason chunk, the usage chunk and [DONE]", async () => {
    mock.enqueue({ kind: "stream_incomplete", afterChunks: 2 }, { kind: "stream_incomplete", afterChunks: 1000 });
    const cut = await readUntilEnd(await chat({ stream: true, stream_options: { include_usage: true } }));
    // A properly finished response: the reader ends without an error, nothing on the wire says it was cut.
    expect(cut.error).toBeUndefined();
    expect(cut.text).not.toContain("[DONE]");
    const chunks = jsonEvents(cut.text) as Array<{ choices: Array<{ finish_reason: string | null }>; usage: unknown }>;
    expect(chunks).toHaveLength(2);
    // However many events are asked for, the terminal ones never come.
    const all = await readUntilEnd(await chat({ stream: true, stream_options: { include_usage: true } }));
    expect(all.error).toBeUndefined();
    const allChunks = jsonEvents(all.text) as typeof chunks;
    expect(allChunks.length).toBeGreaterThan(2);
    expect(allChunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason))).toEqual(allChunks.map(() => null));
    expect(allChunks.every((chunk) => chunk.usage === null)).toBe(true);
  });

  it("stream_incomplete without streaming: a 200 with half the JSON body, properly ended", async () => {
    mock.enqueue({ kind: "stream_incomplete" });
    const { text, error } = await readUntilEnd(await chat({}));
    expect(error).toBeUndefined();
    expect(text.startsWith('{"id":"chatcmpl-')).toBe(true);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  it("stream_reset: the connection is reset (ECONNRESET) after N chunks, before the end of the stream", async () => {
    mock.enqueue({ kind: "stream_reset", afterChunks: 3 }, { kind: "stream_reset" });
    const response = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(response.status).toBe(200);
    const { text, error } = await readUntilEnd(response);
    expect(error).toBeInstanceOf(Error);
    expect((error as { cause?: { code?: string } }).cause?.code).toBe("ECONNRESET");
    expect(parseSse(text).length).toBeLessThanOrEqual(3);
    expect(text).not.toContain("[DONE]");
    // Non-streaming: reset half-way through the body.
    const json = await readUntilEnd(await chat({}));
    expect((json.error as { cause?: { code?: string } }).cause?.code).toBe("ECONNRESET");
  });

  it("cuts a JSON body half-way", async () => {
    mock.enqueue({ kind: "stream_cut" });
    const response = await chat({});
    const { text, error } = await readUntilEnd(response);
    expect(error).toBeInstanceOf(Error);
    expect(text.startsWith('{"id":"chatcmpl-')).toBe(true);
  });

  it("hangs until the client aborts, then keeps serving", async () => {
    mock.enqueue({ kind: "hang" });
    const controller = new AbortController();
    const hung = post(mock, "/v1/chat/completions", { model: "gpt-4o-mini", messages: PROMPT }, { signal: controller.signal });
    await mock.waitForRequests(1);
    controller.abort();
    await expect(hung).rejects.toMatchObject({ name: "AbortError" });
    expect(mock.requests[0]?.step).toEqual({ kind: "hang" });
    expect((await chat({})).status).toBe(200);
  });

  it("hangs a stream after its first chunks", async () => {
    mock.enqueue({ kind: "hang", afterChunks: 2 });
    const controller = new AbortController();
    const response = await post(
      mock,
      "/v1/chat/completions",
      { model: "gpt-4o-mini", messages: PROMPT, stream: true },
      { signal: controller.signal },
    );
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (parseSse(text).length < 2 || !text.endsWith("\n\n")) text += decoder.decode((await reader.read()).value);
    expect(parseSse(text)).toHaveLength(2);
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: "AbortError" });
  });

  it("ends hung requests on close()", async () => {
    mock.enqueue({ kind: "hang" });
    const hung = chat({});
    await mock.waitForRequests(1);
    await mock.close();
    await expect(hung).rejects.toThrow(TypeError);
  });
});
