// messages.create and beta.messages.create spans, F1 (every attempt of the SDK's retry loop on one span, 429 / 529 /
// 5xx classified), errors classified and rethrown, F4 soft errors, tool_use blocks, prompt-cache usage, cost and
// budgets, and the SDK surface left as it was: on @anthropic-ai/sdk 0.x and 1.x against the mock LLM.
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { BudgetExceededError, workflow } from "@telltale/core";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_OUTPUT_TYPE,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_REASONING_LEVEL,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_K,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
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
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_USAGE_COST_USD,
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
import { API_KEY, MAJORS, attr, client, exporter, instrumentAll, metricPoints, mockLlm, onlySpan, spans } from "./harness.js";

const MODEL = "claude-sonnet-4-6";
const SPAN = `chat ${MODEL}`;
const body = { model: MODEL, max_tokens: 256, messages: [{ role: "user" as const, content: "Say hello to the tests" }] };


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
  describe("messages.create", () => {
    it("records a GenAI chat span with request, response and usage from what the SDK returned", async () => {
      // `temperature` is a 0.x parameter that 1.x's types dropped; the request attribute is recorded whenever it is sent.
      const withTemperature = { ...body, temperature: 0.2 } as typeof body;
      const message = await client(major, mock).messages.create(withTemperature);

      const span = onlySpan(SPAN);
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_OPERATION_NAME]: "chat",
        [ATTR_GEN_AI_PROVIDER_NAME]: "anthropic",
        [ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
        [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 256,
        [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.2,
        [ATTR_GEN_AI_RESPONSE_MODEL]: message.model,
        [ATTR_GEN_AI_RESPONSE_ID]: message.id,
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["end_turn"],
        [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: message.usage.input_tokens,
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: message.usage.output_tokens,
        [ATTR_SERVER_ADDRESS]: "127.0.0.1",
        [ATTR_SERVER_PORT]: Number(new URL(mock.url).port),
      });
      // The conventions set gen_ai.request.stream on streaming requests only.
      expect(attr(span, ATTR_GEN_AI_REQUEST_STREAM)).toBeUndefined();
      // One successful attempt: no retry count or attempt arrays, which would only say "no retry, 2xx".
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toBeUndefined();
      expect(attr(span, ATTR_TELLTALE_RETRY_COUNT)).toBeUndefined();
      expect(message.id).toMatch(/^msg_01/);
      // "Say hello to the tests" is 22 characters: the mock's usage formula is ceil(chars / 4).
      expect(message.usage.input_tokens).toBe(6);
      expect(attr(span, ATTR_TELLTALE_KEEP)).toBeUndefined();
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
      // Content capture is off by default, and the API key is never on a span.
      expect(JSON.stringify(span.attributes)).not.toContain("Say hello");
      expect(JSON.stringify(span.attributes)).not.toContain(API_KEY);
    });

    it("records the sampling parameters the conventions name: top_k, top_p, stop sequences, temperature, output type", async () => {
      // 1.x's types dropped the sampling parameters; whatever the request sends is recorded.
      const sampled = {
        ...body,
        temperature: 0.4,
        top_p: 0.8,
        top_k: 40,
        stop_sequences: ["\n\nHuman:", "END"],
        output_config: { format: { type: "json_schema", schema: { type: "object" } } },
      } as typeof body;
      await client(major, mock).messages.create(sampled);
      expect(onlySpan(SPAN).attributes).toMatchObject({
        [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0.4,
        [ATTR_GEN_AI_REQUEST_TOP_P]: 0.8,
        [ATTR_GEN_AI_REQUEST_TOP_K]: 40,
        [ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]: ["\n\nHuman:", "END"],
        [ATTR_GEN_AI_OUTPUT_TYPE]: "json",
      });
    });

    it("the effort level is gen_ai.request.reasoning.level only with gen_ai_latest_experimental", async () => {
      const withEffort = { ...body, output_config: { effort: "high" } } as typeof body;
      await client(major, mock).messages.create(withEffort);
      expect(attr(onlySpan(SPAN), ATTR_GEN_AI_REQUEST_REASONING_LEVEL)).toBeUndefined();
      exporter.reset();
      instrumentAll({ semconvStabilityOptIn: "gen_ai_latest_experimental" });
      try {
        await client(major, mock).messages.create(withEffort);
      } finally {
        instrumentAll();
      }
      expect(attr(onlySpan(SPAN), ATTR_GEN_AI_REQUEST_REASONING_LEVEL)).toBe("high");
    });

    it("counts prompt-cache reads and writes as input, records them apart and prices them", async () => {
      mock.enqueue({ kind: "ok", usage: { cacheReadInputTokens: 4, cacheCreationInputTokens: 2 } });
      const message = await client(major, mock).messages.create(body);
      // The API's input_tokens is the uncached part only.
      expect(message.usage.input_tokens).toBe(0);
      expect(message.usage.cache_read_input_tokens).toBe(4);
      expect(message.usage.cache_creation_input_tokens).toBe(2);

      const span = onlySpan(SPAN);
      expect(attr(span, ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe(6);
      expect(attr(span, ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)).toBe(4);
      expect(attr(span, ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)).toBe(2);
      // claude-sonnet-4 prices per million: cache read 0.3, cache write 3.75, output 15.
      const expected = (4 * 0.3 + 2 * 3.75 + message.usage.output_tokens * 15) / 1_000_000;
      expect(attr(span, ATTR_TELLTALE_USAGE_COST_USD)).toBeCloseTo(expected, 12);
    });

    it("records the tool_use blocks the model asked for (names and ids, never their input)", async () => {
      mock.enqueue({ kind: "tool_calls", calls: [{ name: "get_weather", arguments: { city: "Oslo" } }, { name: "get_time" }] });
      const message = await client(major, mock).messages.create({
        ...body,
        tools: [
          { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
          { name: "get_time", input_schema: { type: "object", properties: {} } },
        ],
      });
      const toolUses = message.content.filter((block) => block.type === "tool_use");
      expect(toolUses.map((block) => block.name)).toEqual(["get_weather", "get_time"]);

      const span = onlySpan(SPAN);
      expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES)).toEqual(["get_weather", "get_time"]);
      expect(attr(span, ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS)).toEqual(toolUses.map((block) => block.id));
      expect(attr(span, ATTR_GEN_AI_RESPONSE_FINISH_REASONS)).toEqual(["tool_use"]);
      expect(attr(span, ATTR_TELLTALE_SOFT_ERROR)).toBeUndefined();
      expect(JSON.stringify(span.attributes)).not.toContain("Oslo");
    });

    it("records the GenAI client metrics with provider anthropic", async () => {
      await client(major, mock).messages.create(body);
      const durations = await metricPoints(METRIC_GEN_AI_CLIENT_OPERATION_DURATION);
      expect(durations.some((p) => p.attributes[ATTR_GEN_AI_PROVIDER_NAME] === "anthropic" && p.attributes[ATTR_GEN_AI_OPERATION_NAME] === "chat")).toBe(true);
      const tokens = await metricPoints(METRIC_GEN_AI_CLIENT_TOKEN_USAGE);
      expect(tokens.some((p) => p.attributes[ATTR_GEN_AI_PROVIDER_NAME] === "anthropic" && p.attributes[ATTR_GEN_AI_REQUEST_MODEL] === MODEL)).toBe(true);
    });

    it("beta.messages.create gets the same span", async () => {
      const message = await client(major, mock).beta.messages.create(body);
      const span = onlySpan(SPAN);
      expect(span.attributes).toMatchObject({
        [ATTR_GEN_AI_PROVIDER_NAME]: "anthropic",
        [ATTR_GEN_AI_RESPONSE_ID]: message.id,
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["end_turn"],
      });
      expect(mock.requests[0]?.path).toContain("/v1/messages");
    });
  });

  describe("F1: every HTTP attempt of the SDK's retry loop is on the call span", () => {
    it("429, 429, 200 shows three attempts with statuses, classes and waits from retry-after-ms", async () => {
      mock.enqueue(
        { kind: "error", error: "rate_limit", retryAfterMs: 20 },
        { kind: "error", error: "rate_limit", retryAfterMs: 30 },
        { kind: "ok" },
      );
      const message = await client(major, mock).messages.create(body);
      expect(message.stop_reason).toBe("end_turn");
      expect(mock.requests.map((r) => r.sdkRetryCount)).toEqual([0, 1, 2]);

      const span = onlySpan(SPAN);
      expectRateLimitedTwiceThenOk(span);
    });

    it("a 529 overloaded_error then 200 is one span with an `overloaded` (recoverable) retry", async () => {
      mock.enqueue({ kind: "error", error: "overloaded", retryAfterMs: 10 }, { kind: "ok" });
      await client(major, mock).messages.create(body);
      const span = onlySpan(SPAN);
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([529, 200]);
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES)).toEqual(["overloaded", "ok"]);
      expect(attr(span, ATTR_TELLTALE_RETRY_REASONS)).toEqual(["overloaded"]);
      expect(attr(span, ATTR_TELLTALE_ERROR_CLASS)).toBeUndefined();
    });

    it("a 500 then 200 is a server_error retry", async () => {
      mock.enqueue({ kind: "error", error: "server_error", retryAfterMs: 10 }, { kind: "ok" });
      await client(major, mock).messages.create(body);
      const span = onlySpan(SPAN);
      expect(attr(span, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([500, 200]);
      expect(attr(span, ATTR_TELLTALE_RETRY_REASONS)).toEqual(["server_error"]);
    });

    it("concurrent calls on one client keep their attempts apart", async () => {
      mock.setScript({
        scenarios: {
          twice: [
            { kind: "error", error: "rate_limit", retryAfterMs: 15 },
            { kind: "error", error: "overloaded", retryAfterMs: 15 },
            { kind: "ok" },
          ],
          clean: [{ kind: "ok" }],
        },
      });
      const c = client(major, mock);
      const call = (scenario: string, model: string) =>
        c.messages.create({ ...body, model }, { headers: { "x-mock-scenario": scenario } });
      await Promise.all([call("twice", "claude-a"), call("clean", "claude-b")]);
      expect(attr(onlySpan("chat claude-a"), ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([429, 529, 200]);
      expect(attr(onlySpan("chat claude-b"), ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toBeUndefined();
      expect(attr(onlySpan("chat claude-b"), ATTR_TELLTALE_KEEP)).toBeUndefined();
    });
  });

  describe("errors are classified on the span and rethrown unchanged", () => {
    it("529 on every attempt: the SDK's error reaches the caller, the span says overloaded and recoverable", async () => {
      mock.setScript({ routes: { messages: [1, 2, 3].map(() => ({ kind: "error" as const, error: "overloaded" as const, retryAfterMs: 5 })) } });
      const error = await client(major, mock).messages.create(body).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(major.module.APIError);
      expect((error as { status?: number }).status).toBe(529);

      const span = onlySpan(SPAN);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_ERROR_CLASS]: "overloaded",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
        [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [529, 529, 529],
        [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["overloaded", "overloaded", "overloaded"],
        [ATTR_TELLTALE_RETRY_COUNT]: 2,
        [ATTR_TELLTALE_KEEP]: true,
      });
      expect(attr(span, ATTR_ERROR_TYPE)).toBeTypeOf("string");
    });

    it("a 400 is not retried and is non-recoverable", async () => {
      mock.enqueue({ kind: "error", error: "context_length_exceeded" });
      const error = await client(major, mock).messages.create(body).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(major.module.BadRequestError);
      expect(mock.requests).toHaveLength(1);
      const span = onlySpan(SPAN);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_ERROR_CLASS]: "context_length_exceeded",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: false,
        [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [400],
        [ATTR_ERROR_TYPE]: "BadRequestError",
      });
    });

    it("a 429 with retries exhausted is a rate_limit error with every attempt", async () => {
      mock.setScript({ routes: { messages: [1, 2].map(() => ({ kind: "error" as const, error: "rate_limit" as const, retryAfterMs: 5 })) } });
      const error = await client(major, mock, { maxRetries: 1 }).messages.create(body).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(major.module.RateLimitError);
      const span = onlySpan(SPAN);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
        [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [429, 429],
        [ATTR_ERROR_TYPE]: "RateLimitError",
      });
    });

    it("the client's timeout on a hung server: APIConnectionTimeoutError, class timeout", async () => {
      mock.enqueue({ kind: "hang" });
      const error = await client(major, mock, { timeout: 150, maxRetries: 0 }).messages.create(body).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(major.module.APIConnectionTimeoutError);
      const span = onlySpan(SPAN);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_ERROR_CLASS]: "timeout",
        [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
        [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["timeout"],
      });
    });

    it("the caller's AbortSignal: APIUserAbortError, class aborted", async () => {
      mock.enqueue({ kind: "hang" });
      const controller = new AbortController();
      const pending = client(major, mock).messages.create(body, { signal: controller.signal }).catch((err: unknown) => err);
      await mock.waitForRequests(1);
      controller.abort();
      expect(await pending).toBeInstanceOf(major.module.APIUserAbortError);
      expect(attr(onlySpan(SPAN), ATTR_TELLTALE_ERROR_CLASS)).toBe("aborted");
    });

    it("nothing listening: every attempt is a connection failure", async () => {
      const baseURL = `http://127.0.0.1:${await closedPort()}`;
      const error = await client(major, mock, { baseURL, maxRetries: 0 }).messages.create(body).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(major.module.APIConnectionError);
      const span = onlySpan(SPAN);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_ERROR_CLASS]: "connection",
        [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["connection"],
      });
    });

    it("F3: a 400 the server told the SDK to retry (x-should-retry) is flagged as a non-recoverable retry", async () => {
      mock.enqueue({ kind: "error", error: "invalid_request", shouldRetry: true, retryAfterMs: 5 }, { kind: "ok" });
      await client(major, mock).messages.create(body);
      const span = onlySpan(SPAN);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [400, 200],
        [ATTR_TELLTALE_RETRY_REASONS]: ["invalid_request"],
        [ATTR_TELLTALE_RETRY_NON_RECOVERABLE]: true,
      });
      expect(attr(span, ATTR_TELLTALE_KEEP_REASONS)).toContain("non_recoverable_retry");
    });
  });

  describe("F4: soft errors that raise nothing", () => {
    it("stop_reason max_tokens is `truncated`", async () => {
      mock.enqueue({ kind: "truncated" });
      const message = await client(major, mock).messages.create({ ...body, max_tokens: 3 });
      expect(message.stop_reason).toBe("max_tokens");
      const span = onlySpan(SPAN);
      expect(span.attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "truncated",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "max_tokens",
        [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["max_tokens"],
        [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 3,
        [ATTR_TELLTALE_KEEP]: true,
      });
      expect(attr(span, ATTR_TELLTALE_KEEP_REASONS)).toContain("soft_error");
      expect(span.status.code).not.toBe(SpanStatusCode.ERROR);
    });

    it("stop_reason refusal is `refusal`", async () => {
      mock.enqueue({ kind: "refusal" });
      const message = await client(major, mock).messages.create(body);
      expect(message.stop_reason).toBe("refusal");
      expect(onlySpan(SPAN).attributes).toMatchObject({ [ATTR_TELLTALE_SOFT_ERROR]: "refusal", [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["refusal"] });
    });

    it("an empty content list is `empty_output`", async () => {
      mock.enqueue({ kind: "empty" });
      const message = await client(major, mock).messages.create(body);
      expect(message.content).toEqual([]);
      expect(onlySpan(SPAN).attributes).toMatchObject({ [ATTR_TELLTALE_SOFT_ERROR]: "empty_output", [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "end_turn" });
    });

    it("a 200 whose body is an error object is `error_payload` with the error type", async () => {
      mock.enqueue({ kind: "error_payload", error: "overloaded" });
      const message = (await client(major, mock).messages.create(body)) as unknown as { type: string };
      expect(message.type).toBe("error");
      expect(onlySpan(SPAN).attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "error_payload",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "overloaded_error",
        [ATTR_TELLTALE_KEEP]: true,
      });
    });
  });

  describe("F4: stop reasons the mock has no step for (a 200 with a scripted body)", () => {
    // The mock's `error` step with status 200 and a `body` sends that JSON as a successful answer.
    const answer = (stopReason: string, content: unknown[]) => ({
      kind: "error" as const,
      status: 200,
      body: {
        id: "msg_01scripted",
        type: "message",
        role: "assistant",
        model: MODEL,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage: { input_tokens: 7, output_tokens: 3 },
      },
    });

    it("pause_turn is `incomplete`", async () => {
      mock.enqueue(answer("pause_turn", [{ type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: {} }]));
      await client(major, mock).messages.create(body);
      expect(onlySpan(SPAN).attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "incomplete",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "pause_turn",
        [ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES]: ["web_search"],
        [ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS]: ["srvtoolu_1"],
      });
    });

    it("model_context_window_exceeded is `truncated`", async () => {
      mock.enqueue(answer("model_context_window_exceeded", [{ type: "text", text: "cut off" }]));
      await client(major, mock).messages.create(body);
      expect(onlySpan(SPAN).attributes).toMatchObject({
        [ATTR_TELLTALE_SOFT_ERROR]: "truncated",
        [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "model_context_window_exceeded",
      });
    });

    it("an answer of only empty text, or of thinking alone, is `empty_output`", async () => {
      mock.enqueue(answer("end_turn", [{ type: "text", text: "" }]), answer("end_turn", [{ type: "thinking", thinking: "hmm", signature: "s" }]));
      const c = client(major, mock);
      await c.messages.create(body);
      expect(attr(onlySpan(SPAN), ATTR_TELLTALE_SOFT_ERROR)).toBe("empty_output");
      exporter.reset();
      await c.messages.create(body);
      expect(attr(onlySpan(SPAN), ATTR_TELLTALE_SOFT_ERROR)).toBe("empty_output");
    });
  });

  describe("the SDK's surface is unchanged", () => {
    it(".withResponse() gives the same data and the raw response; the span ends once", async () => {
      const { data, response, request_id } = await client(major, mock).messages.create(body).withResponse();
      expect(response.status).toBe(200);
      expect(request_id).toMatch(/^req_/);
      expect(data.type).toBe("message");
      const span = onlySpan(SPAN);
      expect(attr(span, ATTR_GEN_AI_RESPONSE_ID)).toBe(data.id);
    });

    it(".asResponse() hands the body to the caller and ends the span at the headers", async () => {
      const response = await client(major, mock).messages.create(body).asResponse();
      const json = (await response.json()) as { id: string };
      expect(json.id).toMatch(/^msg_01/);
      const span = onlySpan(SPAN);
      expect(attr(span, ATTR_HTTP_RESPONSE_STATUS_CODE)).toBe(200);
    });

    it("with the SDK's own OpenTelemetry spans on, they nest under Telltale's span in the same trace", async () => {
      await client(major, mock, { sdkSpans: true }).messages.create(body);
      const ours = onlySpan(SPAN);
      const sdkSpans = spans().filter((s) => s !== ours);
      expect(sdkSpans.length).toBeGreaterThan(0);
      for (const sdkSpan of sdkSpans) {
        expect(sdkSpan.spanContext().traceId).toBe(ours.spanContext().traceId);
        expect(sdkSpan.parentSpanContext?.spanId).toBe(ours.spanContext().spanId);
      }
    });
  });

  describe("budget: usage reaches core's running totals", () => {
    it("the workflow span carries the tokens (cache included) of every call inside it", async () => {
      const c = client(major, mock);
      mock.enqueue({ kind: "ok" }, { kind: "ok", usage: { cacheReadInputTokens: 3 } });
      let expected = 0;
      await workflow("budgeted", { budget: { tokens: 100_000 } }, async () => {
        for (let i = 0; i < 2; i += 1) {
          const { usage } = await c.messages.create(body);
          expected += usage.input_tokens + (usage.cache_read_input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + usage.output_tokens;
        }
      });
      const root = spans().find((s) => s.name.includes("budgeted"));
      expect(root).toBeDefined();
      expect(attr(root!, ATTR_TELLTALE_BUDGET_TOKENS_USED)).toBe(expected);
      const calls = spans().filter((s) => s.name === SPAN);
      expect(calls).toHaveLength(2);
      for (const call of calls) expect(call.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
    });

    it("enforce mode refuses the next call with BudgetExceededError and never reaches the server", async () => {
      const c = client(major, mock);
      await expectEnforcedBudgetRefusal(() => c.messages.create(body), SPAN, mock);
    });
  });
});
