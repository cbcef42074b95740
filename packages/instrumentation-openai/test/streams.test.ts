// F15: a streaming call's span ends when the stream ends, breaks, errors or is aborted, with what was received and
// the final chunk's usage; the consumer sees exactly what it sees without instrumentation; the SDK's streaming
// helpers produce one span each. On each of openai 5, 6 and 7.
import { SpanStatusCode } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
} from "@telltale/core/attributes";
import type { MockLlm } from "@telltale/mock-llm";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MAJORS, attr, client, exporter, instrumentAll, instrumentation, mockLlm, onlySpan, spans, until, type Major } from "./harness.js";

const MODEL = "gpt-4o-mini";
const streamBody = {
  model: MODEL,
  messages: [{ role: "user" as const, content: "Stream me a sentence" }],
  stream: true as const,
  stream_options: { include_usage: true },
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

/** Runs `work` with the instrumentation removed from every major, then puts it back. */
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

interface Outcome {
  chunks: number;
  /** The error the consumer's loop threw, by class name, or "done" when it finished normally. */
  ending: string;
}

/** What the consumer saw when it reads a stream and aborts/breaks per `plan`. */
async function consume(
  major: Major,
  plan: { steps: Parameters<MockLlm["enqueue"]>; afterFirst?: "break" | "controller.abort" },
): Promise<Outcome> {
  mock.enqueue(...plan.steps);
  const stream = await client(major, mock).chat.completions.create(streamBody);
  let chunks = 0;
  try {
    for await (const chunk of stream) {
      expect(chunk.object).toBe("chat.completion.chunk");
      chunks += 1;
      if (chunks === 1 && plan.afterFirst === "break") break;
      if (chunks === 1 && plan.afterFirst === "controller.abort") stream.controller.abort();
    }
    return { chunks, ending: "done" };
  } catch (err) {
    return { chunks, ending: (err as Error).constructor.name };
  }
}

describe.each(MAJORS)("$label", (major) => {
  describe("chat.completions.create({ stream: true })", () => {
    it("ends the span when the stream ends, with the final chunk's usage, not before", async () => {
      const stream = await client(major, mock).chat.completions.create(streamBody);
      let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
      let id: string | undefined;
      let spansWhileStreaming = -1;
      for await (const chunk of stream) {
        id ??= chunk.id;
        if (chunk.usage) usage = chunk.usage;
        if (spansWhileStreaming === -1) spansWhileStreaming = spans().length;
      }
      expect(spansWhileStreaming).toBe(0);
      expect(usage).toBeDefined();

      const span = onlySpan(`chat ${MODEL}`);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_REQUEST_STREAM]: true,
        [ATTR_GEN_AI_RESPONSE_ID]: id,
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["stop"],
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: usage?.prompt_tokens,
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: usage?.completion_tokens,
      });
      expect(attr(span, ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK)).toBeGreaterThan(0);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toBeUndefined();
    });

    it("break: the span ends at once, marked stream_aborted (consumer stopped early); the consumer sees the same", async () => {
      const plan = { steps: [{ kind: "ok" as const }] as Parameters<MockLlm["enqueue"]>, afterFirst: "break" as const };
      const expected = await uninstrumented(() => consume(major, plan));
      exporter.reset();
      const seen = await consume(major, plan);
      expect(seen).toEqual(expected);
      expect(seen).toEqual({ chunks: 1, ending: "done" });
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_aborted");
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR_DETAIL)).toBe("consumer stopped early");
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    });

    it("a stream cut mid-way: the span ends with the error the consumer got", async () => {
      const plan = { steps: [{ kind: "stream_cut" as const, afterChunks: 2 }] as Parameters<MockLlm["enqueue"]> };
      const expected = await uninstrumented(() => consume(major, plan));
      exporter.reset();
      const seen = await consume(major, plan);
      expect(seen).toEqual(expected);
      expect(seen.ending).not.toBe("done");
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      // undici's "terminated" TypeError, caused by UND_ERR_SOCKET: the connection dropped.
      expect(attr(span, ATTR_TELLTALE_ERROR_CLASS)).toBe("connection");
      expect(span.events.some((e) => e.name === "exception")).toBe(true);
    });

    it("a stream the server ends cleanly before its finish_reason: stream_incomplete, the call kept, no usage", async () => {
      const plan = { steps: [{ kind: "stream_incomplete" as const, afterChunks: 3 }] as Parameters<MockLlm["enqueue"]> };
      const expected = await uninstrumented(() => consume(major, plan));
      exporter.reset();
      const seen = await consume(major, plan);
      // The SDK's loop ends without an error: the consumer holds part of an answer and nothing told it.
      expect(seen).toEqual(expected);
      expect(seen).toEqual({ chunks: 3, ending: "done" });
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "stream_incomplete",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "no finish_reason",
        [ATTR_TELLTALE_KEEP]: true,
      });
      expect(attr(span, ATTR_TELLTALE_KEEP_REASONS)).toContain("soft_error");
      // Usage only where the provider sent it: the usage chunk never came.
      expect(attr(span, ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBeUndefined();
      expect(attr(span, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBeUndefined();
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toBeUndefined();
    });

    it("a connection reset by a proxy mid-stream: the span ends with the connection error the consumer got", async () => {
      const plan = { steps: [{ kind: "stream_reset" as const, afterChunks: 2 }] as Parameters<MockLlm["enqueue"]> };
      const expected = await uninstrumented(() => consume(major, plan));
      exporter.reset();
      const seen = await consume(major, plan);
      expect(seen).toEqual(expected);
      expect(seen.ending).not.toBe("done");
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(attr(span, ATTR_TELLTALE_ERROR_CLASS)).toBe("connection");
      // An error is not a soft error on top of it.
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
    });

    it("stream.controller.abort(): the span ends with the abort recorded; the consumer sees the same", async () => {
      const plan = {
        steps: [{ kind: "ok" as const, chunkDelayMs: 5 }] as Parameters<MockLlm["enqueue"]>,
        afterFirst: "controller.abort" as const,
      };
      const expected = await uninstrumented(() => consume(major, plan));
      exporter.reset();
      const seen = await consume(major, plan);
      expect(seen).toEqual(expected);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_aborted");
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR_DETAIL)).toBe("aborted");
    });

    it("an AbortController signal aborting a hung stream ends the span right away", async () => {
      mock.enqueue({ kind: "hang", afterChunks: 1 });
      const abort = new AbortController();
      const stream = await client(major, mock).chat.completions.create(streamBody, { signal: abort.signal });
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      const pending = iterator.next().then(
        (result) => ({ done: result.done }),
        (err: unknown) => ({ error: (err as Error).constructor.name }),
      );
      abort.abort();
      await until(() => spans().length === 1, "the span to end after abort");
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_aborted");
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR_DETAIL)).toBe("aborted");
      // The consumer's pending read settles (how is the SDK's business); the span is not ended twice.
      await pending;
      expect(spans()).toHaveLength(1);
    });

    it("a stream that is never read and then dropped still ends its span (abandoned)", async () => {
      setFlagsFromString("--expose-gc");
      const gc = runInNewContext("gc") as () => void;
      await (async () => {
        await client(major, mock).chat.completions.create(streamBody);
      })();
      for (let round = 0; round < 200 && spans().length === 0; round += 1) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_aborted");
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR_DETAIL)).toBe("abandoned");
    });

    it("stream.toReadableStream() carries every chunk and ends the span with the usage", async () => {
      const stream = await client(major, mock).chat.completions.create(streamBody);
      const reader = stream.toReadableStream().getReader();
      const decoder = new TextDecoder();
      let text = "";
      for (let read = await reader.read(); !read.done; read = await reader.read()) text += decoder.decode(read.value);
      const lines = text.trim().split("\n").map((line) => JSON.parse(line) as { usage?: { prompt_tokens: number } | null });
      const usage = lines.at(-1)?.usage;
      expect(usage?.prompt_tokens).toBeGreaterThan(0);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe(usage?.prompt_tokens);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
    });

    it("stream.tee(): both branches get every chunk, one span ends once", async () => {
      const stream = await client(major, mock).chat.completions.create(streamBody);
      const [left, right] = stream.tee();
      const count = async (branch: typeof left): Promise<number> => {
        let n = 0;
        for await (const _ of branch) n += 1;
        return n;
      };
      const [a, b] = await Promise.all([count(left), count(right)]);
      expect(a).toBe(b);
      expect(a).toBeGreaterThan(1);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["stop"]);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
    });

    it("the Stream object is the SDK's own: same class and shape as without instrumentation", async () => {
      const describeStream = async (): Promise<{ cls: string; keys: string[]; controller: boolean }> => {
        const stream = await client(major, mock).chat.completions.create(streamBody);
        const shape = { cls: stream.constructor.name, keys: Object.keys(stream).sort(), controller: stream.controller instanceof AbortController };
        for await (const _ of stream) {
          // drain
        }
        return shape;
      };
      const expected = await uninstrumented(describeStream);
      const seen = await describeStream();
      expect(seen).toEqual(expected);
      expect(seen.cls).toBe("Stream");
    });

    it("streamed tool calls and a truncated stream are recorded", async () => {
      mock.enqueue({ kind: "tool_calls", calls: [{ name: "search" }] }, { kind: "truncated" });
      const c = client(major, mock);
      const tools = [{ type: "function" as const, function: { name: "search", parameters: { type: "object", properties: {} } } }];
      for await (const _ of await c.chat.completions.create({ ...streamBody, tools })) {
        // drain
      }
      for await (const _ of await c.chat.completions.create(streamBody)) {
        // drain
      }
      const [toolSpan, truncatedSpan] = spans();
      expect(attr(toolSpan!, ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES)).toEqual(["search"]);
      expect(attr(toolSpan!, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["tool_calls"]);
      expect(attr(truncatedSpan!, ATTR_TELLTALE_SOFT_ERROR)).toBe("truncated");
    });
  });

  describe("responses.create({ stream: true })", () => {
    it("ends the span at the end of the event stream with the completed response's id and usage", async () => {
      const stream = await client(major, mock).responses.create({ model: MODEL, input: "Stream please", stream: true });
      let completed: { id: string; usage?: { input_tokens: number; output_tokens: number } | null } | undefined;
      for await (const event of stream) {
        if (event.type === "response.completed") completed = event.response;
      }
      expect(completed).toBeDefined();
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_RESPONSE_ID]: completed?.id,
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: completed?.usage?.input_tokens,
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: completed?.usage?.output_tokens,
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["stop"],
      });
    });

    it("break after the first event ends the span as stream_aborted", async () => {
      const stream = await client(major, mock).responses.create({ model: MODEL, input: "Stream please", stream: true });
      for await (const _ of stream) break;
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_aborted");
    });

    it("an event stream that ends cleanly without response.completed: stream_incomplete, not a finish reason", async () => {
      mock.enqueue({ kind: "stream_incomplete", afterChunks: 1000 });
      const stream = await client(major, mock).responses.create({ model: MODEL, input: "Stream please", stream: true });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types).toContain("response.output_text.done");
      expect(types).not.toContain("response.completed");
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "stream_incomplete",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "no response.completed",
      });
      // The snapshots say "in_progress": that is not how the response ended, and no usage came.
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toBeUndefined();
      expect(attr(span, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBeUndefined();
      expect(attr(span, ATTR_GEN_AI_RESPONSE_ID)).toMatch(/^resp_/);
    });

    it("a failed response inside the stream is an error_payload soft error", async () => {
      mock.enqueue({ kind: "error_payload" });
      const stream = await client(major, mock).responses.create({ model: MODEL, input: "Stream please", stream: true });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      expect(types).toContain("response.failed");
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("error_payload");
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["error"]);
    });
  });

  describe("the SDK's streaming helpers call create internally: one span each, no doubles", () => {
    it("client.chat.completions.stream(...).finalChatCompletion()", async () => {
      const runner = client(major, mock).chat.completions.stream({
        model: MODEL,
        messages: [{ role: "user", content: "Helper stream" }],
        stream_options: { include_usage: true },
      });
      const final = await runner.finalChatCompletion();
      expect(spans()).toHaveLength(1);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_ID)).toBe(final.id);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["stop"]);
      expect(attr(span, ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe(final.usage?.prompt_tokens);
    });

    it("client.responses.stream(...).finalResponse()", async () => {
      const runner = client(major, mock).responses.stream({ model: MODEL, input: "Helper stream" });
      const final = await runner.finalResponse();
      expect(spans()).toHaveLength(1);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_ID)).toBe(final.id);
      expect(attr(span, ATTR_GEN_AI_USAGE_OUTPUT_TOKENS)).toBe(final.usage?.output_tokens);
    });

    it("aborting the chat helper ends its span as stream_aborted", async () => {
      mock.enqueue({ kind: "hang", afterChunks: 1 });
      const runner = client(major, mock).chat.completions.stream({ model: MODEL, messages: [{ role: "user", content: "Abort me" }] });
      const failure = runner.finalChatCompletion().then(
        () => "resolved",
        (err: unknown) => (err as Error).constructor.name,
      );
      await new Promise<void>((resolve) => runner.on("chunk", () => resolve()));
      runner.abort();
      expect(await failure).toBe("APIUserAbortError");
      await until(() => spans().length === 1, "the helper's span to end");
      expect(attr(onlySpan(`chat ${MODEL}`), ATTR_TELLTALE_SOFT_ERROR)).toBe("stream_aborted");
    });
  });
});
