// chat.completions / responses / embeddings spans, F1 (every attempt on one span), errors classified and rethrown,
// F4 soft errors, tool calls and budgets, on each of openai 5, 6 and 7 (against the mock LLM on loopback).
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { BudgetExceededError, workflow } from "@telltale/core";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from "@telltale/core/attributes";
import type { MockLlm } from "@telltale/mock-llm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  closedPort,
  expectEnforcedBudgetRefusal,
  expectRateLimitedTwiceThenOk,
} from "@telltale/test-utils/calls";
import { MAJORS, attr, client, exporter, instrumentAll, metricPoints, mockLlm, onlySpan, spans } from "./harness.js";

const MODEL = "gpt-4o-mini";

const chatBody = { model: MODEL, messages: [{ role: "user" as const, content: "Say hello to the tests" }] };

let mock: MockLlm;
beforeAll(async () => {
  instrumentAll();
  mock = await mockLlm();
});
beforeEach(() => {
  exporter.reset();
  mock.reset();
});

describe.each(MAJORS)("$label", (major) => {
  describe("chat.completions.create", () => {
    it("records a GenAI chat span with request, response and usage from what the SDK returned", async () => {
      const completion = await client(major, mock).chat.completions.create({ ...chatBody, max_tokens: 64, temperature: 0.3 });

      const span = onlySpan(`chat ${MODEL}`);
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_OPERATION_NAME]: "chat",
        [ATTR_GEN_AI_PROVIDER_NAME]: "openai",
        [ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
        [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 64,
        [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.3,
        [ATTR_GEN_AI_RESPONSE_MODEL]: completion.model,
        [ATTR_GEN_AI_RESPONSE_ID]: completion.id,
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["stop"],
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: completion.usage?.prompt_tokens,
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: completion.usage?.completion_tokens,
        [ATTR_SERVER_ADDRESS]: "127.0.0.1",
        [ATTR_SERVER_PORT]: Number(new URL(mock.url).port),
      });
      // The conventions set gen_ai.request.stream on streaming requests only.
      expect(attr(span, ATTR_GEN_AI_REQUEST_STREAM)).toBeUndefined();
      // One successful attempt: no retry count or attempt arrays, which would only say "no retry, 2xx".
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toBeUndefined();
      expect(attr(span, ATTR_TELLTALE_RETRY_COUNT)).toBeUndefined();
      // "Say hello to the tests" is 22 characters: the mock's documented usage formula is ceil(chars / 4).
      expect(completion.usage?.prompt_tokens).toBe(6);
      expect(attr(span, ATTR_TELLTALE_KEEP)).toBeUndefined();
    });

    it("records cached and reasoning tokens", async () => {
      mock.enqueue({ kind: "ok", usage: { cacheReadInputTokens: 4, reasoningTokens: 9 } });
      await client(major, mock).chat.completions.create(chatBody);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)).toBe(4);
      expect(attr(span, ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)).toBe(9);
    });

    it("records the tool calls the model asked for (names and ids, never arguments)", async () => {
      mock.enqueue({ kind: "tool_calls", calls: [{ name: "get_weather", arguments: { city: "Oslo" } }, { name: "get_time" }] });
      const completion = await client(major, mock).chat.completions.create({
        ...chatBody,
        tools: [
          { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
          { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
        ],
      });
      const calls = (completion.choices[0]?.message.tool_calls ?? []) as Array<{ id: string; function: { name: string } }>;
      expect(calls.map((c) => c.function.name)).toEqual(["get_weather", "get_time"]);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES)).toEqual(["get_weather", "get_time"]);
      expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS)).toEqual(calls.map((c) => c.id));
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["tool_calls"]);
      expect(JSON.stringify(span.attributes)).not.toContain("Oslo");
    });

    it("records the GenAI client metrics", async () => {
      await client(major, mock).chat.completions.create(chatBody);
      const durations = await metricPoints(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
      expect(durations.some((p) => p.attributes[ATTR_GEN_AI_OPERATION_NAME] === "chat" && p.attributes[ATTR_GEN_AI_PROVIDER_NAME] === "openai")).toBe(true);
      const tokens = await metricPoints(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
      expect(tokens.some((p) => p.attributes[ATTR_GEN_AI_REQUEST_MODEL] === MODEL)).toBe(true);
    });
  });

  describe("F1: every HTTP attempt of the SDK's retry loop is on the call span", () => {
    it("429, 429, 200 shows three attempts with statuses, classes and waits from retry-after-ms", async () => {
      mock.enqueue(
        { kind: "error", error: "rate_limit", retryAfterMs: 20 },
        { kind: "error", error: "rate_limit", retryAfterMs: 30 },
        { kind: "ok" },
      );
      const completion = await client(major, mock).chat.completions.create(chatBody);
      expect(completion.choices[0]?.finish_reason).toBe("stop");
      expect(mock.requests).toHaveLength(3);

      const span = onlySpan(`chat ${MODEL}`);
      expectRateLimitedTwiceThenOk(span);
    });

    it("concurrent calls on one client keep their attempts apart", async () => {
      mock.setScript({
        scenarios: {
          twice: [
            { kind: "error", error: "rate_limit", retryAfterMs: 15 },
            { kind: "error", error: "rate_limit", retryAfterMs: 15 },
            { kind: "ok" },
          ],
          once: [{ kind: "error", error: "overloaded", retryAfterMs: 10 }, { kind: "ok" }],
          clean: [{ kind: "ok" }],
        },
      });
      const c = client(major, mock);
      const call = (scenario: string, model: string) =>
        c.chat.completions.create({ ...chatBody, model }, { headers: { "x-mock-scenario": scenario } });
      await Promise.all([call("twice", "model-a"), call("once", "model-b"), call("clean", "model-c")]);
      expect(attr(onlySpan("chat model-a"), ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([429, 429, 200]);
      expect(attr(onlySpan("chat model-b"), ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([503, 200]);
      expect(attr(onlySpan("chat model-c"), ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toBeUndefined();
      expect(attr(onlySpan("chat model-c"), ATTR_TELLTALE_KEEP)).toBeUndefined();
    });

    it("a 503 then 200 is one span with a server_error retry", async () => {
      mock.enqueue({ kind: "error", error: "overloaded", retryAfterMs: 10 }, { kind: "ok" });
      await client(major, mock).chat.completions.create(chatBody);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([503, 200]);
      expect(attr(span, ATTR_TELLTALE_RETRY_REASONS)).toEqual(["server_error"]);
    });
  });

  describe("errors are classified by core and the SDK's error is rethrown unchanged", () => {
    it("retries exhausted on 429: RateLimitError, rate_limit, recoverable, every attempt recorded", async () => {
      mock.enqueue(...Array.from({ length: 3 }, () => ({ kind: "error" as const, error: "rate_limit" as const, retryAfterMs: 10 })));
      const error = await client(major, mock).chat.completions.create(chatBody).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(major.module.RateLimitError);
      expect((error as InstanceType<typeof major.module.RateLimitError>).status).toBe(429);

      const span = onlySpan(`chat ${MODEL}`);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_ERROR_TYPE]: "RateLimitError",
        [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
        [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [429, 429, 429],
        [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["rate_limit", "rate_limit", "rate_limit"],
        [ATTR_TELLTALE_RETRY_COUNT]: 2,
      });
      const exception = span.events.find((e) => e.name === "exception");
      expect(exception?.attributes?.["exception.message"]).toBe((error as Error).message);
    });

    it("context_length_exceeded (400) is not retried and is non-recoverable", async () => {
      mock.enqueue({ kind: "error", error: "context_length_exceeded" });
      const error = await client(major, mock).chat.completions.create(chatBody).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(major.module.BadRequestError);
      expect((error as { code?: string }).code).toBe("context_length_exceeded");
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_ERROR_CLASS]: "context_length_exceeded",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: false,
        [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [400],
        // The last attempt is classified with the SDK's own error (its body's code), not just its status.
        [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["context_length_exceeded"],
        [ATTR_TELLTALE_RETRY_COUNT]: 0,
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: 400,
      });
    });

    it("insufficient_quota (429) is quota_exceeded", async () => {
      mock.enqueue({ kind: "error", error: "insufficient_quota", shouldRetry: false });
      const error = await client(major, mock).chat.completions.create(chatBody).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(major.module.RateLimitError);
      expect(attr(onlySpan(`chat ${MODEL}`), ATTR_TELLTALE_ERROR_CLASS)).toBe("quota_exceeded");
    });

    it("401 is auth", async () => {
      mock.enqueue({ kind: "error", error: "authentication" });
      const error = await client(major, mock).chat.completions.create(chatBody).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(major.module.AuthenticationError);
      expect(attr(onlySpan(`chat ${MODEL}`), ATTR_TELLTALE_ERROR_CLASS)).toBe("auth");
    });

    it("a hung server and the client's timeout: APIConnectionTimeoutError, timeout", async () => {
      mock.enqueue({ kind: "hang" });
      const error = await client(major, mock, { timeout: 200, maxRetries: 0 }).chat.completions.create(chatBody).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(major.module.APIConnectionTimeoutError);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_ERROR_CLASS)).toBe("timeout");
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([0]);
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES)).toEqual(["timeout"]);
    });

    it("a timed-out attempt then a good one: attempt classes timeout, ok", async () => {
      mock.enqueue({ kind: "hang" }, { kind: "ok" });
      await client(major, mock, { timeout: 150, maxRetries: 1 }).chat.completions.create(chatBody);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([0, 200]);
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES)).toEqual(["timeout", "ok"]);
      expect(attr(span, ATTR_TELLTALE_RETRY_REASONS)).toEqual(["timeout"]);
    });

    it("nothing listening: APIConnectionError, connection", async () => {
      const error = await client(major, mock, { baseURL: `http://127.0.0.1:${await closedPort()}/v1`, maxRetries: 0 })
        .chat.completions.create(chatBody)
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(error).toBeInstanceOf(major.module.APIConnectionError);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_ERROR_CLASS)).toBe("connection");
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES)).toEqual(["connection"]);
    });
  });

  describe("F4: soft errors from a 200", () => {
    it.each([
      { step: { kind: "truncated" as const }, soft: "truncated", finish: ["length"] },
      { step: { kind: "content_filter" as const }, soft: "content_filter", finish: ["content_filter"] },
      { step: { kind: "refusal" as const }, soft: "refusal", finish: ["stop"] },
      { step: { kind: "empty" as const }, soft: "empty_output", finish: ["stop"] },
    ])("chat $step.kind → $soft", async ({ step, soft, finish }) => {
      mock.enqueue(step);
      await client(major, mock).chat.completions.create(chatBody);
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe(soft);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(finish);
      expect(attr(span, ATTR_TELLTALE_KEEP_REASONS)).toContain("soft_error");
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    });

    it("chat: an error object inside a 200 body → error_payload", async () => {
      mock.enqueue({ kind: "error_payload", error: "server_error" });
      const body = (await client(major, mock).chat.completions.create(chatBody)) as unknown as { error?: unknown };
      expect(body.error).toBeDefined();
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe("error_payload");
    });

    it.each([
      { step: { kind: "truncated" as const }, soft: "truncated", detail: "max_output_tokens" },
      { step: { kind: "content_filter" as const }, soft: "content_filter", detail: "content_filter" },
      { step: { kind: "error_payload" as const }, soft: "error_payload", detail: undefined },
      { step: { kind: "refusal" as const }, soft: "refusal", detail: undefined },
      { step: { kind: "empty" as const }, soft: "empty_output", detail: undefined },
    ])("responses $step.kind → $soft", async ({ step, soft, detail }) => {
      mock.enqueue(step);
      const response = await client(major, mock).responses.create({ model: MODEL, input: "Say hello" });
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBe(soft);
      if (detail !== undefined) expect(attr(span, ATTR_TELLTALE_SOFT_ERROR_DETAIL)).toBe(detail);
      if (soft === "truncated" || soft === "content_filter") expect(response.status).toBe("incomplete");
      if (soft === "error_payload") expect(response.status).toBe("failed");
    });
  });

  describe("responses.create and embeddings.create", () => {
    it("responses: a chat span with response id, model, usage and finish reason", async () => {
      const response = await client(major, mock).responses.create({ model: MODEL, input: "Say hello", max_output_tokens: 50 });
      const span = onlySpan(`chat ${MODEL}`);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_OPERATION_NAME]: "chat",
        [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 50,
        [ATTR_GEN_AI_RESPONSE_ID]: response.id,
        [ATTR_GEN_AI_RESPONSE_MODEL]: response.model,
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["stop"],
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: response.usage?.input_tokens,
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: response.usage?.output_tokens,
      });
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
    });

    it("responses: function calls the model asked for", async () => {
      mock.enqueue({ kind: "tool_calls", calls: [{ name: "lookup" }] });
      const response = await client(major, mock).responses.create({
        model: MODEL,
        input: "Find it",
        tools: [{ type: "function", name: "lookup", parameters: { type: "object", properties: {} }, strict: false }],
      });
      const call = response.output.find((item) => item.type === "function_call") as { call_id: string } | undefined;
      const span = onlySpan(`chat ${MODEL}`);
      expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES)).toEqual(["lookup"]);
      expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS)).toEqual([call?.call_id]);
      // The Responses API has no finish reason: the synthesized one is the GenAI conventions' value.
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["tool_call"]);
    });

    it("embeddings: an embeddings span with input tokens", async () => {
      const result = await client(major, mock).embeddings.create({ model: "text-embedding-3-small", input: "embed me please" });
      expect(result.data).toHaveLength(1);
      const span = onlySpan("embeddings text-embedding-3-small");
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_OPERATION_NAME]: "embeddings",
        [ATTR_GEN_AI_REQUEST_MODEL]: "text-embedding-3-small",
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: result.usage.prompt_tokens,
      });
    });
  });

  describe("budget: usage reaches core's running totals", () => {
    it("the workflow span carries the tokens of every call inside it", async () => {
      const c = client(major, mock);
      let expected = 0;
      await workflow("budgeted", { budget: { tokens: 100_000 } }, async () => {
        const first = await c.chat.completions.create(chatBody);
        const second = await c.responses.create({ model: MODEL, input: "And again" });
        expected = (first.usage?.total_tokens ?? 0) + (second.usage?.input_tokens ?? 0) + (second.usage?.output_tokens ?? 0);
      });
      expect(expected).toBeGreaterThan(0);
      const root = spans().find((s) => s.name.includes("budgeted"));
      expect(root).toBeDefined();
      expect(attr(root!, ATTR_TELLTALE_BUDGET_TOKENS_USED)).toBe(expected);
      const calls = spans().filter((s) => s.name === `chat ${MODEL}`);
      expect(calls).toHaveLength(2);
      for (const call of calls) expect(call.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
    });

    it("enforce mode refuses the next call with BudgetExceededError and never reaches the server", async () => {
      const c = client(major, mock);
      await expectEnforcedBudgetRefusal(() => c.chat.completions.create(chatBody), `chat ${MODEL}`, mock);
    });
  });
});

// Only openai 7 times out a stalled body and retries from inside parsing (`parseResponseWithTimeout`); on 5 and 6 a
// stalled body waits forever, so there is nothing to observe there.
describe("openai 7: an attempt started while parsing (body timeout) reaches the call", () => {
  const openai7 = MAJORS.find((major) => major.label === "openai 7")!;

  it("a 200 whose body stalls, then a good attempt: both attempts on the one call span", async () => {
    mock.enqueue({ kind: "hang", bodyStall: true }, { kind: "ok" });
    const completion = await client(openai7, mock, { timeout: 300, maxRetries: 1 }).chat.completions.create(chatBody);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(mock.requests).toHaveLength(2);
    const span = onlySpan(`chat ${MODEL}`);
    expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([200, 200]);
    expect(attr(span, ATTR_TELLTALE_RETRY_COUNT)).toBe(1);
    expect(attr(span, ATTR_GEN_AI_RESPONSE_ID)).toBe(completion.id);
  });
});
