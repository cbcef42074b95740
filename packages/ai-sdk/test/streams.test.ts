// streamText on ai 5, 6 and 7 with the real providers: every stream's call span ends, however the stream ends
// (F15), with what it said so far.
import { SpanStatusCode } from "@opentelemetry/api";
import { beforeEach, describe, expect, it } from "vitest";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { attr, exporter, instrumented, MAJORS, mockLlm, onlySpan, spans, until } from "./harness.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

beforeEach(async () => {
  exporter.reset();
  (await mockLlm()).reset();
});

describe.each(MAJORS)("$label", (major) => {
  it.each(["responses", "chat"] as const)("records a whole OpenAI %s stream: response, usage, time to first chunk", async (api) => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "ok", text: "Streaming words arrive one by one" });
    const result = major.ai.streamText({ model: instrumented(major, major.openai(mock, "gpt-4o-mini", api)), prompt: "Stream to me" });
    const types: string[] = [];
    for await (const part of result.fullStream) types.push(part.type);
    expect(types).not.toContain("raw");
    expect(await result.text).toBe("Streaming words arrive one by one");
    await until(() => spans().length === 1, "the stream's span to end");
    const span = onlySpan("chat gpt-4o-mini");
    expect(attr(span, "gen_ai.request.stream")).toBe(true);
    expect(attr(span, "gen_ai.usage.output_tokens")).toBe(Math.ceil("Streaming words arrive one by one".length / 4));
    expect(attr(span, "gen_ai.response.finish_reasons")).toEqual(["stop"]);
    expect(typeof attr(span, "gen_ai.response.time_to_first_chunk")).toBe("number");
    expect(attr(span, "telltale.soft_error")).toBeUndefined();
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it("ends the span when the consumer breaks out of the stream (F15)", async () => {
    const mock = await mockLlm();
    const words = Array.from({ length: 40 }, (_, index) => `word${index}`).join(" ");
    mock.enqueue({ kind: "ok", text: words, chunkDelayMs: 2 });
    let result: ReturnType<typeof major.ai.streamText> | undefined = major.ai.streamText({
      model: instrumented(major, major.anthropic(mock, "claude-sonnet-4-5")),
      prompt: "Count",
    });
    for await (const part of result.textStream) {
      if (part.length > 0) break;
    }
    result = undefined;
    if (major.major === 7) {
      // ai 7 stops reading the model's stream and tells no hook: the span ends when the dropped stream is collected.
      await until(
        () => {
          gc();
          return spans().length === 1;
        },
        "the abandoned stream's span to end",
        15_000,
      );
      const span = onlySpan("chat claude-sonnet-4-5");
      expect(attr(span, "telltale.soft_error")).toBe("stream_aborted");
      expect(attr(span, "telltale.soft_error.detail")).toBe("abandoned");
      expect(attr(span, "gen_ai.response.id")).toMatch(/^msg_/);
    } else {
      // ai 5 and 6 read the model's stream to its end anyway: the call completes, with its whole usage.
      await until(() => spans().length === 1, "the stream's span to end", 15_000);
      const span = onlySpan("chat claude-sonnet-4-5");
      expect(attr(span, "telltale.soft_error")).toBeUndefined();
      expect(attr(span, "gen_ai.usage.output_tokens")).toBe(Math.ceil(words.length / 4));
    }
  });

  it("ends the span with stream_aborted when the call is aborted mid-stream (F15)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "hang", afterChunks: 3 });
    const controller = new AbortController();
    const result = major.ai.streamText({
      model: instrumented(major, major.openai(mock, "gpt-4o-mini", "chat")),
      prompt: "Hang after a few words",
      abortSignal: controller.signal,
    });
    const reading = (async () => {
      for await (const part of result.fullStream) {
        if (part.type === "text-delta") controller.abort();
      }
    })().catch(() => undefined);
    await reading;
    await until(() => spans().length === 1, "the aborted stream's span to end", 15_000);
    const span = onlySpan("chat gpt-4o-mini");
    expect(attr(span, "telltale.soft_error")).toBe("stream_aborted");
    expect(attr(span, "telltale.soft_error.detail")).toBe("aborted");
  });

  it("an aborted stream keeps the usage the provider reported so far; the app sees no raw chunk it did not ask for (F15)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "hang", afterChunks: 2 });
    const controller = new AbortController();
    const prompt = "Tell me a long story about retries";
    const result = major.ai.streamText({
      model: instrumented(major, major.anthropic(mock, "claude-sonnet-4-5")),
      prompt,
      abortSignal: controller.signal,
    });
    const types: string[] = [];
    await (async () => {
      for await (const part of result.fullStream) {
        types.push(part.type);
        if (part.type === "start-step" || part.type === "text-start") controller.abort();
      }
    })().catch(() => undefined);
    await until(() => spans().length === 1, "the aborted stream's span to end", 15_000);
    const span = onlySpan("chat claude-sonnet-4-5");
    expect(attr(span, "telltale.soft_error")).toBe("stream_aborted");
    // Anthropic's message_start carried the input tokens before anything else.
    expect(attr(span, "gen_ai.usage.input_tokens")).toBe(Math.ceil(prompt.length / 4));
    expect(types).not.toContain("raw");
  });

  it("passes the raw chunks on when the app asks for them", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "ok", text: "Raw and cooked" });
    const result = major.ai.streamText({ model: instrumented(major, major.openai(mock, "gpt-4o-mini", "chat")), prompt: "Raw please", includeRawChunks: true });
    const types: string[] = [];
    for await (const part of result.fullStream) types.push(part.type);
    expect(types).toContain("raw");
    await until(() => spans().length === 1, "the stream's span to end");
    expect(attr(onlySpan("chat gpt-4o-mini"), "gen_ai.usage.output_tokens")).toBe(Math.ceil("Raw and cooked".length / 4));
  });

  it("flags a stream the server cut before its finish part (F15)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "stream_cut", afterChunks: 3 });
    const result = major.ai.streamText({ model: instrumented(major, major.openai(mock, "gpt-4o-mini", "chat")), prompt: "Cut me off", maxRetries: 0 });
    await Promise.resolve(result.consumeStream({ onError: () => undefined })).catch(() => undefined);
    await until(() => spans().length === 1, "the cut stream's span to end", 15_000);
    const span = onlySpan("chat gpt-4o-mini");
    const failed = span.status.code === SpanStatusCode.ERROR;
    // Either the read failed (the span records the connection error) or the stream ended quietly unfinished.
    if (failed) expect(attr(span, "telltale.error.class")).toBe("connection");
    else expect(attr(span, "telltale.soft_error")).toBe("stream_incomplete");
    expect(attr(span, "telltale.keep")).toBe(true);
  });

  it("flags an error event inside a stream (F4)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "error_payload", afterChunks: 3 });
    const result = major.ai.streamText({ model: instrumented(major, major.anthropic(mock, "claude-sonnet-4-5")), prompt: "Fail inside" });
    await Promise.resolve(result.consumeStream({ onError: () => undefined })).catch(() => undefined);
    await until(() => spans().length === 1, "the stream's span to end", 15_000);
    const span = onlySpan("chat claude-sonnet-4-5");
    expect(attr(span, "telltale.soft_error")).toBe("error_payload");
    expect(attr(span, "telltale.soft_error.detail")).toBe("overloaded_error");
  });
});
