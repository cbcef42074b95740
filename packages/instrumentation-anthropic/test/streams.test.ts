// F15: a streaming call's span ends when the stream completes, breaks, errors or is aborted, with what was received
// and the usage of `message_delta`; an `event: error` inside a stream is an error payload; `messages.stream()` (which
// calls create with stream: true itself) is one span, not two; the consumer sees exactly the events it sees without
// instrumentation. On @anthropic-ai/sdk 0.x and 1.x.
import { SpanStatusCode } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
} from "@telltale/core/attributes";
import type { MockLlm } from "@telltale/mock-llm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAJORS, attr, client, exporter, instrumentAll, instrumentation, mockLlm, onlySpan, spans, until } from "./harness.js";

const MODEL = "claude-haiku-4-5";
const SPAN = `chat ${MODEL}`;
const body = { model: MODEL, max_tokens: 256, messages: [{ role: "user" as const, content: "Stream me a sentence" }] };
const streamBody = { ...body, stream: true as const };

let mock: MockLlm;
beforeAll(async () => {
  instrumentAll();
  mock = await mockLlm();
});
beforeEach(() => {
  exporter.reset();
  mock.setScript({});
  mock.reset();
});

describe.each(MAJORS)("$label", (major) => {
  describe("messages.create({ stream: true })", () => {
    it("ends the span when the stream completes, with message_delta's usage and stop reason", async () => {
      mock.enqueue({ kind: "ok", usage: { cacheReadInputTokens: 2 } });
      const stream = await client(major, mock).messages.create(streamBody);
      const types: string[] = [];
      let finalUsage: { output_tokens: number } | undefined;
      let messageId = "";
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === "message_start") messageId = event.message.id;
        if (event.type === "message_delta") finalUsage = event.usage;
      }
      expect(types[0]).toBe("message_start");
      expect(types.at(-1)).toBe("message_stop");

      const span = onlySpan(SPAN);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_REQUEST_STREAM]: true,
        [ATTR_GEN_AI_RESPONSE_ID]: messageId,
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["end_turn"],
        // "Stream me a sentence" is 20 characters: 5 tokens, 2 of them read from the cache.
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 5,
        [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 2,
        // message_start says 1; the final count comes from message_delta.
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: finalUsage?.output_tokens,
      });
      expect(finalUsage?.output_tokens).toBeGreaterThan(1);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK)).toBeTypeOf("number");
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
    });

    it("records tool_use blocks from content_block_start events", async () => {
      mock.enqueue({ kind: "tool_calls", calls: [{ name: "lookup", arguments: { q: "secret-query" } }] });
      const stream = await client(major, mock).messages.create({
        ...streamBody,
        tools: [{ name: "lookup", input_schema: { type: "object", properties: { q: { type: "string" } } } }],
      });
      const ids: string[] = [];
      for await (const event of stream) {
        if (event.type === "content_block_start" && event.content_block.type === "tool_use") ids.push(event.content_block.id);
      }
      const span = onlySpan(SPAN);
      expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES)).toEqual(["lookup"]);
      expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS)).toEqual(ids);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["tool_use"]);
      expect(JSON.stringify(span.attributes)).not.toContain("secret-query");
    });

    it("a `break` ends the span as stream_aborted, with the input usage received so far", async () => {
      const stream = await client(major, mock).messages.create(streamBody);
      for await (const event of stream) {
        expect(event.type).toBe("message_start");
        break;
      }
      const span = onlySpan(SPAN);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "stream_aborted",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "consumer stopped early",
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 5,
      });
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toBeUndefined();
      // message_start's output_tokens is the API's placeholder, not a count.
      expect(attr(span, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBeUndefined();
    });

    it("a stream the server ends cleanly without message_delta and message_stop: stream_incomplete, the call kept", async () => {
      mock.enqueue({ kind: "stream_incomplete", afterChunks: 1000 });
      const stream = await client(major, mock).messages.create(streamBody);
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      // The SDK's loop ended without an error, after the whole text but before the message's end.
      expect(types.at(-1)).toBe("content_block_stop");
      const span = onlySpan(SPAN);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "stream_incomplete",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "no message_delta",
        // Input usage is what message_start reported; no output count came.
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 5,
      });
      expect(attr(span, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBeUndefined();
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toBeUndefined();
    });

    it("in the latest conventions, the unfinished message's finish reason is `error`", async () => {
      instrumentAll({ semconvStabilityOptIn: "gen_ai_latest_experimental" });
      try {
        mock.enqueue({ kind: "stream_incomplete", afterChunks: 3 });
        for await (const _event of await client(major, mock).messages.create(streamBody)) {
          // drain
        }
      } finally {
        instrumentAll();
      }
      const span = onlySpan(SPAN);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_incomplete");
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["error"]);
    });

    it("a connection reset mid-stream is the call's connection error, not a soft error", async () => {
      mock.enqueue({ kind: "stream_reset", afterChunks: 3 });
      const stream = await client(major, mock).messages.create(streamBody);
      const error = await (async () => {
        for await (const _event of stream) {
          // read until the reset
        }
      })().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(Error);
      const span = onlySpan(SPAN);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(attr(span, ATTR_TELLTALE_ERROR_CLASS)).toBe("connection");
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
    });

    it("stream.controller.abort() while the server hangs ends the span as aborted", async () => {
      mock.enqueue({ kind: "hang", afterChunks: 2 });
      const stream = await client(major, mock).messages.create(streamBody);
      let events = 0;
      const reading = (async () => {
        for await (const _event of stream) events += 1;
      })();
      await until(() => events === 1, "the first event");
      stream.controller.abort();
      await reading;
      const span = onlySpan(SPAN);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_aborted");
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR_DETAIL)).toBe("aborted");
    });

    it("an `event: error` inside the stream is an error payload and the call's overloaded error", async () => {
      mock.enqueue({ kind: "error_payload", error: "overloaded", afterChunks: 3 });
      const stream = await client(major, mock).messages.create(streamBody);
      let events = 0;
      const error = await (async () => {
        for await (const _event of stream) events += 1;
      })().catch((err: unknown) => err);
      expect(events).toBe(2); // message_start and one content event; the ping is not handed out
      expect(error).toBeInstanceOf(major.module.APIError);

      const span = onlySpan(SPAN);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "error_payload",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "overloaded_error",
        [ATTR_TELLTALE_ERROR_CLASS]: "overloaded",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
      });
    });

    it("a connection cut mid-stream ends the span with a connection error", async () => {
      mock.enqueue({ kind: "stream_cut", afterChunks: 3 });
      const stream = await client(major, mock).messages.create(streamBody);
      const error = await (async () => {
        for await (const _event of stream) {
          // read until the cut
        }
      })().catch((err: unknown) => err);
      expect(error).toBeInstanceOf(Error);
      const span = onlySpan(SPAN);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(attr(span, ATTR_TELLTALE_ERROR_CLASS)).toBe("connection");
    });

    it("the consumer sees exactly the events it sees without instrumentation", async () => {
      const read = async (): Promise<unknown[]> => {
        const stream = await client(major, mock).messages.create(streamBody);
        const events: unknown[] = [];
        for await (const event of stream) events.push(event);
        return events;
      };
      const traced = await read();
      instrumentation.disable();
      let plain: unknown[];
      try {
        plain = await read();
      } finally {
        instrumentAll();
      }
      // Ids are seeded by arrival order; everything else must be identical.
      const withoutIds = (events: unknown[]): string => JSON.stringify(events).replace(/msg_01\w+/g, "msg");
      expect(withoutIds(traced)).toBe(withoutIds(plain));
      expect(spans().filter((s) => s.name === SPAN)).toHaveLength(1);
    });
  });

  describe("messages.stream() helper", () => {
    it("is one span (the helper calls create itself), ending with the final message's usage", async () => {
      const messageStream = client(major, mock).messages.stream(body);
      const texts: string[] = [];
      messageStream.on("text", (text) => texts.push(text));
      const message = await messageStream.finalMessage();
      expect(texts.join("")).toBe(message.content[0]?.type === "text" ? message.content[0].text : "");

      const span = onlySpan(SPAN);
      expect(spans()).toHaveLength(1);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_REQUEST_STREAM]: true,
        [ATTR_GEN_AI_RESPONSE_ID]: message.id,
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["end_turn"],
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: message.usage.output_tokens,
      });
    });

    it("retries before the stream starts are attempts of the helper's one span", async () => {
      mock.enqueue({ kind: "error", error: "overloaded", retryAfterMs: 5 }, { kind: "ok" });
      await client(major, mock).messages.stream(body).finalMessage();
      expect(attr(onlySpan(SPAN), ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([529, 200]);
    });

    it("messageStream.abort() ends the span as aborted and the helper rejects as it always does", async () => {
      mock.enqueue({ kind: "hang", afterChunks: 2 });
      const messageStream = client(major, mock).messages.stream(body);
      let events = 0;
      messageStream.on("streamEvent", () => {
        events += 1;
      });
      const outcome = messageStream.finalMessage().catch((err: unknown) => err);
      await until(() => events === 1, "the first event");
      messageStream.abort();
      expect(await outcome).toBeInstanceOf(major.module.APIUserAbortError);
      await until(() => spans().length === 1, "the span to end");
      expect(attr(onlySpan(SPAN), ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_aborted");
    });

    it("stop_reason max_tokens on a streamed answer is `truncated`", async () => {
      mock.enqueue({ kind: "truncated" });
      const message = await client(major, mock).messages.stream({ ...body, max_tokens: 2 }).finalMessage();
      expect(message.stop_reason).toBe("max_tokens");
      expect(onlySpan(SPAN).attributes).toMatchObject({ [ATTR_TELLTALE_SOFT_ERROR]: "truncated", [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 2 });
    });

    it("beta.messages.stream() is one span too", async () => {
      const message = await client(major, mock).beta.messages.stream(body).finalMessage();
      expect(spans()).toHaveLength(1);
      expect(attr(onlySpan(SPAN), ATTR_GEN_AI_RESPONSE_ID)).toBe(message.id);
    });
  });
});

describe("content capture (opt-in)", () => {
  beforeAll(() => instrumentAll({ captureMessageContent: true, redact: (text) => text.replace(/\d{4}/g, "####") }));
  afterAll(() => instrumentAll());

  it("records system instructions, input and output messages (redacted), tool results as role tool", async () => {
    const major = MAJORS[1]!;
    mock.enqueue({ kind: "ok", text: "Card 1234 is fine" });
    await client(major, mock).messages.create({
      ...body,
      system: "You check cards",
      messages: [
        { role: "user", content: "Check card 9876" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "check", input: { card: "9876" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "valid" }] },
      ],
    });
    const span = onlySpan(SPAN);
    expect(JSON.parse(attr(span, ATTR_GEN_AI_SYSTEM_INSTRUCTIONS) as string)).toEqual([{ type: "text", content: "You check cards" }]);
    expect(JSON.parse(attr(span, ATTR_GEN_AI_INPUT_MESSAGES) as string)).toEqual([
      { role: "user", parts: [{ type: "text", content: "Check card ####" }] },
      { role: "assistant", parts: [{ type: "tool_call", id: "toolu_1", name: "check", arguments: '{"card":"####"}' }] },
      { role: "tool", parts: [{ type: "tool_call_response", id: "toolu_1", response: "valid" }] },
    ]);
    expect(JSON.parse(attr(span, ATTR_GEN_AI_OUTPUT_MESSAGES) as string)).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "Card #### is fine" }], finish_reason: "end_turn" },
    ]);
  });

  it("rebuilds the output message of a stream from its deltas", async () => {
    mock.enqueue({ kind: "ok", text: "Streamed words here" });
    const stream = await client(MAJORS[0]!, mock).messages.create(streamBody);
    for await (const _event of stream) {
      // read to the end
    }
    expect(JSON.parse(attr(onlySpan(SPAN), ATTR_GEN_AI_OUTPUT_MESSAGES) as string)).toEqual([
      { role: "assistant", parts: [{ type: "text", content: "Streamed words here" }], finish_reason: "end_turn" },
    ]);
  });
});
