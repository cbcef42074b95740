// One LLM call span per logical model call of the AI SDK, on ai 5, 6 and 7 with the real OpenAI and Anthropic
// providers over HTTP against the mock LLM: the AI SDK's retries as attempts (F1), error classes (F2, F3), soft
// errors from finish reasons (F4), usage with cached and reasoning tokens.
import { SpanStatusCode, type HrTime } from "@opentelemetry/api";
import { beforeEach, describe, expect, it } from "vitest";
import { agentRun, telltaleMiddleware } from "@telltale/ai-sdk";
import { API_KEY, allSpansExporter, attr, exporter, instrumented, MAJORS, mockLlm, onlySpan, spans, until, type Model } from "./harness.js";

function hrTimeToMilliseconds(time: HrTime): number {
  return time[0] * 1000 + time[1] / 1e6;
}

beforeEach(async () => {
  exporter.reset();
  (await mockLlm()).reset();
});

describe.each(MAJORS)("$label", (major) => {
  it("records the AI SDK's retries of one call as attempts on one span (F1), with usage and the response", async () => {
    const mock = await mockLlm();
    mock.enqueue(
      { kind: "error", error: "rate_limit", retryAfterMs: 10 },
      { kind: "error", error: "overloaded", retryAfterMs: 10 },
      { kind: "ok", text: "Hello there", usage: { cacheReadInputTokens: 2, reasoningTokens: 5 } },
    );
    const result = await major.ai.generateText({
      model: instrumented(major, major.openai(mock, "gpt-4o-mini")),
      prompt: "Say hello to the retry loop",
      maxRetries: 2,
    });
    expect(result.text).toBe("Hello there");
    expect(mock.requests).toHaveLength(3);
    const span = onlySpan("chat gpt-4o-mini");
    expect(span.instrumentationScope.name).toBe("@telltale/ai-sdk");
    expect(attr(span, "gen_ai.operation.name")).toBe("chat");
    expect(attr(span, "gen_ai.provider.name")).toBe("openai");
    expect(attr(span, "gen_ai.request.model")).toBe("gpt-4o-mini");
    expect(attr(span, "gen_ai.response.model")).toBe("gpt-4o-mini");
    expect(String(attr(span, "gen_ai.response.id"))).toMatch(/^resp_/);
    expect(attr(span, "gen_ai.response.finish_reasons")).toEqual(["stop"]);
    expect(attr(span, "telltale.retry.count")).toBe(2);
    expect(attr(span, "http.request.resend_count")).toBe(2);
    expect(attr(span, "telltale.attempt.status_codes")).toEqual([429, 503, 200]);
    expect(attr(span, "telltale.attempt.error_classes")).toEqual(["rate_limit", "server_error", "ok"]);
    expect(attr(span, "telltale.retry.reasons")).toEqual(["rate_limit", "server_error"]);
    const waits = attr(span, "telltale.attempt.waits_ms") as number[];
    expect(waits[0]).toBe(0);
    expect(waits[1]).toBeGreaterThanOrEqual(9);
    expect(attr(span, "telltale.keep.reasons")).toEqual(["retried"]);
    expect(span.events.filter((event) => event.name === "telltale.attempt")).toHaveLength(3);
    // A recovered call is not an error.
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(attr(span, "error.type")).toBeUndefined();
    // "Hello there" is 11 characters: ceil(11 / 4) = 3 text tokens, plus 5 reasoning tokens.
    expect(attr(span, "gen_ai.usage.output_tokens")).toBe(8);
    expect(attr(span, "gen_ai.usage.reasoning.output_tokens") ?? attr(span, "gen_ai.usage.reasoning_output_tokens")).toBe(5);
    expect(attr(span, "gen_ai.usage.cache_read.input_tokens") ?? attr(span, "gen_ai.usage.cache_read_input_tokens")).toBe(2);
    expect(attr(span, "gen_ai.usage.input_tokens")).toBe(Math.ceil("Say hello to the retry loop".length / 4));
  });

  it("wrapProvider with the middleware instruments every model of the provider, once for the whole app", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "error", error: "server_error", retryAfterMs: 5 }, { kind: "ok" });
    const openai = major.ai.wrapProvider({ provider: major.openaiProvider(mock), languageModelMiddleware: telltaleMiddleware() });
    await major.ai.generateText({ model: openai.languageModel("gpt-4o-mini"), prompt: "Hi" });
    const span = onlySpan("chat gpt-4o-mini");
    expect(attr(span, "telltale.attempt.status_codes")).toEqual([500, 200]);
    expect(attr(span, "gen_ai.provider.name")).toBe("openai");
  });

  it("names the Anthropic provider and its usage from the Messages API", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "ok", text: "Bonjour", usage: { cacheReadInputTokens: 4 } });
    await major.ai.generateText({ model: instrumented(major, major.anthropic(mock, "claude-sonnet-4-5")), prompt: "Greet in French" });
    const span = onlySpan("chat claude-sonnet-4-5");
    expect(attr(span, "gen_ai.provider.name")).toBe("anthropic");
    expect(attr(span, "gen_ai.response.finish_reasons")).toEqual([major.major === 5 ? "stop" : "end_turn"]);
    expect(String(attr(span, "gen_ai.response.id"))).toMatch(/^msg_/);
    expect(attr(span, "gen_ai.usage.output_tokens")).toBe(2);
    expect(attr(span, "telltale.retry.count")).toBeUndefined();
  });

  it("ends a call at a non-recoverable error at once, with its class and status (F2, F3)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "error", error: "context_length_exceeded" });
    const failure = await major.ai
      .generateText({ model: instrumented(major, major.openai(mock, "gpt-4o-mini")), prompt: "Too long", maxRetries: 2 })
      .then(() => undefined, (error: unknown) => error);
    // The app gets the AI SDK's own error, untouched.
    expect((failure as Error).name).toBe("AI_APICallError");
    expect(mock.requests).toHaveLength(1);
    const span = onlySpan("chat gpt-4o-mini");
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(attr(span, "telltale.error.class")).toBe("context_length_exceeded");
    expect(attr(span, "telltale.error.recoverable")).toBe(false);
    expect(attr(span, "error.type")).toBe("AI_APICallError");
    expect(attr(span, "http.response.status_code")).toBe(400);
    expect(attr(span, "telltale.attempt.status_codes")).toEqual([400]);
  });

  it("ends a retryable failure with retries off once the AI SDK's retry wait has passed, without a run (F2)", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "error", error: "rate_limit", retryAfterMs: 10 });
    await expect(
      major.ai.generateText({ model: instrumented(major, major.anthropic(mock, "claude-sonnet-4-5")), prompt: "Hi", maxRetries: 0 }),
    ).rejects.toThrow();
    // The middleware alone cannot know that no retry follows: the span stays open for the retry wait (10 ms here)
    // plus a margin, then ends with the attempt's error, at the time that attempt ended.
    await until(() => spans().length === 1, "the call span to end", 15_000);
    const span = onlySpan("chat claude-sonnet-4-5");
    const attemptAt = span.events.find((event) => event.name === "telltale.attempt")!.time;
    expect(hrTimeToMilliseconds(span.endTime) - hrTimeToMilliseconds(attemptAt)).toBeLessThan(10);
    expect(attr(span, "telltale.error.class")).toBe("rate_limit");
    expect(attr(span, "telltale.error.recoverable")).toBe(true);
    expect(attr(span, "http.response.status_code")).toBe(429);
    expect(attr(span, "error.type")).toBe("AI_APICallError");
  });

  it("ends a call whose retries ran out when its run ends, and names the cause on the run (F2)", async () => {
    const mock = await mockLlm();
    mock.enqueue(
      { kind: "error", error: "rate_limit", retryAfterMs: 5 },
      { kind: "error", error: "rate_limit", retryAfterMs: 5 },
    );
    const failure = await agentRun("triage", {}, () =>
      major.ai.generateText({ model: instrumented(major, major.anthropic(mock, "claude-sonnet-4-5")), prompt: "Hi", maxRetries: 1 }),
    ).then(() => undefined, (error: unknown) => error);
    // The app gets the AI SDK's RetryError, untouched.
    expect((failure as Error).name).toBe("AI_RetryError");
    const call = onlySpan("chat claude-sonnet-4-5");
    const run = onlySpan("invoke_agent triage");
    expect(call.parentSpanContext?.spanId).toBe(run.spanContext().spanId);
    expect(attr(call, "telltale.attempt.status_codes")).toEqual([429, 429]);
    expect(attr(call, "telltale.retry.count")).toBe(1);
    expect(attr(call, "telltale.error.class")).toBe("rate_limit");
    // The run records the error that decided it (the last attempt's), not the RetryError wrapper.
    expect(attr(run, "telltale.error.class")).toBe("rate_limit");
    expect(attr(run, "http.response.status_code")).toBe(429);
    expect(attr(run, "telltale.workflow.outcome")).toBe("error");
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
  });

  it.each([
    ["truncated", { kind: "truncated" as const }, "truncated"],
    ["content_filter", { kind: "content_filter" as const }, "content_filter"],
    ["empty", { kind: "empty" as const }, "empty_output"],
  ])("turns a %s answer into a soft error (F4)", async (_name, step, softError) => {
    const mock = await mockLlm();
    mock.enqueue(step);
    await major.ai.generateText({ model: instrumented(major, major.openai(mock, "gpt-4o-mini", "chat")), prompt: "Answer me", maxOutputTokens: 4 });
    const span = onlySpan("chat gpt-4o-mini");
    expect(attr(span, "telltale.soft_error")).toBe(softError);
    expect(attr(span, "telltale.keep.reasons")).toEqual(["soft_error"]);
    expect(attr(span, "gen_ai.request.max_tokens")).toBe(4);
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it("never writes the API key on a span", async () => {
    const mock = await mockLlm();
    mock.enqueue({ kind: "error", error: "authentication" });
    await major.ai.generateText({ model: instrumented(major, major.openai(mock, "gpt-4o-mini")), prompt: "Hi", maxRetries: 0 }).catch(() => undefined);
    expect(spans()).toHaveLength(1);
    for (const span of allSpansExporter.getFinishedSpans()) {
      expect(JSON.stringify(span.attributes)).not.toContain(API_KEY);
      expect(JSON.stringify(span.events)).not.toContain(API_KEY);
    }
  });

  it("a hostile error from a model reaches the app unchanged, and the span still ends", async () => {
    const hostile = new Error("provider exploded");
    Object.defineProperty(hostile, "statusCode", {
      get() {
        throw new Error("a getter that throws");
      },
    });
    const model = {
      specificationVersion: ({ 5: "v2", 6: "v3", 7: "v4" } as const)[major.major],
      provider: "custom.chat",
      modelId: "in-process",
      supportedUrls: {},
      doGenerate: () => Promise.reject(hostile),
      doStream: () => Promise.reject(hostile),
    } as unknown as Model;
    const failure = await major.ai
      .generateText({ model: instrumented(major, model), prompt: "Hi", maxRetries: 0 })
      .then(() => undefined, (error: unknown) => error);
    expect(failure === hostile || (failure as { cause?: unknown }).cause === hostile || (failure as { lastError?: unknown }).lastError === hostile).toBe(true);
    await until(() => spans().length === 1, "the call span to end");
    expect(attr(onlySpan("chat in-process"), "gen_ai.provider.name")).toBe("custom");
  });
});
