// The SDK's surface is untouched: create returns the SDK's own APIPromise, `.withResponse()`, `.asResponse()`,
// `_thenUnwrap` (through `chat.completions.parse`) and the returned values behave exactly as without
// instrumentation. Content capture is off by default, on by config or env, truncated and redacted; no secret ever
// reaches an attribute. On each of openai 5, 6 and 7.
import {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_SYSTEM_INSTRUCTIONS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
} from "@telltale/core/attributes";
import { CAPTURE_MESSAGE_CONTENT_ENV } from "@telltale/instrumentation-common";
import type { MockLlm } from "@telltale/mock-llm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  API_KEY,
  MAJORS,
  allSpansExporter,
  attr,
  client,
  everyValue,
  exporter,
  instrumentAll,
  instrumentation,
  mockLlm,
  onlySpan,
  spans,
} from "./harness.js";

const MODEL = "gpt-4o-mini";
const chatBody = {
  model: MODEL,
  messages: [
    { role: "system" as const, content: "You are terse." },
    { role: "user" as const, content: "My email is jane@example.com, say hi" },
  ],
};

let mock: MockLlm;
beforeAll(async () => {
  instrumentAll();
  mock = await mockLlm();
});
beforeEach(() => {
  exporter.reset();
  mock.reset();
  instrumentAll();
});

async function uninstrumented<T>(work: () => Promise<T>): Promise<T> {
  instrumentation.disable();
  const before = spans().length;
  try {
    return await work();
  } finally {
    // Disabled means disabled: nothing was traced meanwhile.
    expect(spans().length).toBe(before);
    instrumentAll();
  }
}

/** A response body without the fields that differ per request. */
function stable(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (key, v: unknown) => (key === "id" || key === "created" || key === "created_at" ? "<varies>" : v)));
}

describe.each(MAJORS)("$label", (major) => {
  describe("return values", () => {
    it("create returns the SDK's APIPromise, resolving to the same value as without instrumentation", async () => {
      const run = async (): Promise<{ isApiPromise: boolean; ownMethods: string[]; value: unknown }> => {
        mock.reset();
        const promise = client(major, mock).chat.completions.create(chatBody);
        const isApiPromise = promise instanceof major.module.APIPromise;
        const ownMethods = ["withResponse", "asResponse", "_thenUnwrap", "then", "catch", "finally"].filter(
          (name) => typeof (promise as unknown as Record<string, unknown>)[name] === "function",
        );
        return { isApiPromise, ownMethods, value: stable(await promise) };
      };
      const expected = await uninstrumented(run);
      const seen = await run();
      expect(seen).toEqual(expected);
      expect(seen.isApiPromise).toBe(true);
      expect(seen.ownMethods).toHaveLength(6);
    });

    it(".withResponse() gives data, the raw Response and the request id; the span is complete", async () => {
      const run = async () => {
        mock.reset();
        const { data, response, request_id } = await client(major, mock).chat.completions.create(chatBody).withResponse();
        return { data: stable(data), status: response.status, hasRequestId: typeof request_id === "string" || request_id === null, bodyUsed: response.bodyUsed };
      };
      const expected = await uninstrumented(run);
      exporter.reset();
      const seen = await run();
      expect(seen).toEqual(expected);
      expect(seen.status).toBe(200);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe((seen.data as { usage: { prompt_tokens: number } }).usage.prompt_tokens);
    });

    it(".asResponse() leaves the body to the user; the span ends at the headers with the status", async () => {
      const run = async () => {
        mock.reset();
        const response = await client(major, mock).chat.completions.create(chatBody).asResponse();
        const body = (await response.json()) as { object: string; choices: unknown[] };
        return { status: response.status, object: body.object, choices: body.choices.length };
      };
      const expected = await uninstrumented(run);
      exporter.reset();
      const seen = await run();
      expect(seen).toEqual(expected);
      expect(seen).toEqual({ status: 200, object: "chat.completion", choices: 1 });
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_HTTP_RESPONSE_STATUS_CODE)).toBe(200);
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toBeUndefined();
    });

    it("observing a call adds nothing to the APIPromise and leaves its _thenUnwrap as the SDK made it", async () => {
      const run = async () => {
        mock.reset();
        const promise = client(major, mock).chat.completions.create(chatBody);
        const shape = {
          ownNames: Object.getOwnPropertyNames(promise).sort(),
          ownSymbols: Object.getOwnPropertySymbols(promise).length,
          // The SDK's own method (openai 5 and 6) or per-instance closure (openai 7), not a wrapper of ours: the
          // promises it derives are observed through the response promise they share.
          thenUnwrap: String((promise as unknown as { _thenUnwrap: unknown })._thenUnwrap),
        };
        await promise;
        return shape;
      };
      const expected = await uninstrumented(run);
      exporter.reset();
      expect(await run()).toEqual(expected);
      expect(spans()).toHaveLength(1);
    });

    it("chat.completions.parse (built on _thenUnwrap) returns the parsed value and one span", async () => {
      mock.enqueue({ kind: "ok", text: '{"greeting":"hi"}' });
      const parsed = await client(major, mock).chat.completions.parse({
        ...chatBody,
        response_format: {
          type: "json_schema",
          json_schema: { name: "greeting", strict: true, schema: { type: "object", properties: { greeting: { type: "string" } }, required: ["greeting"], additionalProperties: false } },
        },
      });
      expect(parsed.choices[0]?.message.parsed).toEqual({ greeting: "hi" });
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_ID)).toBe(parsed.id);
      expect(spans()).toHaveLength(1);
    });

    it("errors reach .catch() and .withResponse() callers exactly as without instrumentation", async () => {
      const run = async () => {
        mock.reset();
        mock.enqueue({ kind: "error", error: "invalid_request" });
        const caught = await client(major, mock).chat.completions.create(chatBody).withResponse().catch((err: unknown) => err);
        const err = caught as { constructor: { name: string }; status: number; message: string };
        return { cls: err.constructor.name, status: err.status, message: err.message };
      };
      const expected = await uninstrumented(run);
      const seen = await run();
      expect(seen).toEqual(expected);
      expect(seen.cls).toBe("BadRequestError");
    });
  });

  describe("content capture", () => {
    it("is off by default: no messages on the span", async () => {
      await client(major, mock).chat.completions.create(chatBody);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_GEN_AI_INPUT_MESSAGES)).toBeUndefined();
      expect(attr(span, ATTR_GEN_AI_OUTPUT_MESSAGES)).toBeUndefined();
      expect(JSON.stringify(span.attributes)).not.toContain("jane@example.com");
    });

    it("config captureMessageContent: input and output messages per the GenAI conventions", async () => {
      instrumentAll({ captureMessageContent: true });
      mock.enqueue({ kind: "ok", text: "Hi there!" });
      await client(major, mock).chat.completions.create(chatBody);
      const span = onlySpan(`chat ${MODEL}`);
      expect(JSON.parse(attr(span, ATTR_GEN_AI_INPUT_MESSAGES) as string)).toEqual([
        { role: "system", parts: [{ type: "text", content: "You are terse." }] },
        { role: "user", parts: [{ type: "text", content: "My email is jane@example.com, say hi" }] },
      ]);
      expect(JSON.parse(attr(span, ATTR_GEN_AI_OUTPUT_MESSAGES) as string)).toEqual([
        { role: "assistant", parts: [{ type: "text", content: "Hi there!" }], finish_reason: "stop" },
      ]);
    });

    it("the env var turns it on; the redaction hook and the length limit apply", async () => {
      process.env[CAPTURE_MESSAGE_CONTENT_ENV] = "true";
      try {
        instrumentAll({ contentMaxLength: 12, redact: (text) => text.replaceAll(/\S+@\S+/g, "<email>") });
        mock.enqueue({ kind: "ok", text: "Hello jane@example.com" });
        await client(major, mock).responses.create({ model: MODEL, instructions: "Be brief", input: "Mail jane@example.com" });
      } finally {
        delete process.env[CAPTURE_MESSAGE_CONTENT_ENV];
      }
      const span = onlySpan(`chat ${MODEL}`);
      const input = JSON.parse(attr(span, ATTR_GEN_AI_INPUT_MESSAGES) as string) as Array<{ parts: Array<{ content: string }> }>;
      expect(input[0]?.parts[0]?.content).toBe("Mail <email>");
      const output = JSON.parse(attr(span, ATTR_GEN_AI_OUTPUT_MESSAGES) as string) as Array<{ parts: Array<{ content: string }> }>;
      expect(output[0]?.parts[0]?.content).toBe("Hello <email…[truncated 1 chars]");
      expect(JSON.parse(attr(span, ATTR_GEN_AI_SYSTEM_INSTRUCTIONS) as string)).toEqual([{ type: "text", content: "Be brief" }]);
      expect(JSON.stringify(span.attributes)).not.toContain("jane@example.com");
    });

    it("streamed output is captured from the chunks", async () => {
      instrumentAll({ captureMessageContent: true });
      mock.enqueue({ kind: "ok", text: "Streaming words here" });
      const stream = await client(major, mock).chat.completions.create({ ...chatBody, stream: true });
      for await (const _ of stream) {
        // drain
      }
      const output = JSON.parse(attr(onlySpan(`chat ${MODEL}`), ATTR_GEN_AI_OUTPUT_MESSAGES) as string) as Array<{ parts: Array<{ content: string }> }>;
      expect(output[0]?.parts[0]?.content).toBe("Streaming words here");
    });
  });
});

afterAll(() => {
  // Every span this file produced, content capture on or off: no API key, no auth header.
  const all = allSpansExporter.getFinishedSpans();
  expect(all.length).toBeGreaterThan(10);
  for (const span of all) {
    for (const value of everyValue(span)) {
      expect(value).not.toContain(API_KEY);
      expect(value.toLowerCase()).not.toContain("bearer");
      expect(value.toLowerCase()).not.toContain("authorization");
    }
  }
});
