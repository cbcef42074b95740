import { describe, expect, it } from "vitest";
import { context, SpanKind, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";
import { InMemorySpanExporter, SamplingDecision, SimpleSpanProcessor, TracerProvider, type Sampler } from "@opentelemetry/sdk-trace";
import {
  DEFAULT_PRICES,
  PRICE_TABLE_DATE,
  costOf,
  findPrice,
  getPrices,
  resetPrices,
  setPrices,
} from "@telltale/core";
import { budgetCheck, startLlmCall } from "@telltale/core/instrumentation";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TELLTALE_ATTEMPT_DURATION_MS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_NUMBER,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ATTEMPT_WAIT_MS,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_BUDGET_COST_USD_USED,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_USAGE_COST_USD,
  EVENT_TELLTALE_ATTEMPT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_TELLTALE_RETRIES,
  METRIC_TELLTALE_SOFT_ERRORS,
} from "@telltale/core/attributes";
import { collectDiag } from "./diag.js";
import { setupOtel, spanId } from "./otel.js";

const otel = setupOtel();
const tracer = () => trace.getTracer("instrumentation-under-test");

function rateLimited(): Error {
  return Object.assign(new Error("429 Too Many Requests"), { status: 429 });
}

describe("startLlmCall", () => {
  it("names the span `{operation} {model}` and writes the request attributes", () => {
    otel.reset();
    const parent = tracer().startSpan("parent");
    const call = startLlmCall(tracer(), {
      provider: "openai",
      operation: "chat",
      requestModel: "gpt-4o-mini",
      serverAddress: "api.openai.com",
      serverPort: 443,
      stream: true,
      attributes: { [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 256 },
      parentContext: trace.setSpan(context.active(), parent),
    });
    expect(trace.getSpan(call.context)).toBe(call.span);
    call.recordResponse({ responseModel: "gpt-4o-mini-2024-07-18", responseId: "chatcmpl-1", finishReasons: ["stop"] });
    call.end();
    parent.end();
    const span = otel.span("chat gpt-4o-mini");
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.parentSpanContext?.spanId).toBe(spanId(otel.span("parent")));
    expect(span.attributes).toMatchObject({
      [ATTR_GEN_AI_OPERATION_NAME]: "chat",
      [ATTR_GEN_AI_PROVIDER_NAME]: "openai",
      [ATTR_GEN_AI_REQUEST_MODEL]: "gpt-4o-mini",
      [ATTR_SERVER_ADDRESS]: "api.openai.com",
      [ATTR_SERVER_PORT]: 443,
      [ATTR_GEN_AI_REQUEST_STREAM]: true,
      [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 256,
      [ATTR_GEN_AI_RESPONSE_MODEL]: "gpt-4o-mini-2024-07-18",
      [ATTR_GEN_AI_RESPONSE_ID]: "chatcmpl-1",
      [ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ["stop"],
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes[ATTR_TELLTALE_KEEP]).toBeUndefined();
  });

  it("gives a head sampler the sampling-relevant attributes at creation, and the rest right after", () => {
    const seenBySampler: Attributes[] = [];
    const sampler: Sampler = {
      shouldSample: (_ctx, _traceId, _name, _kind, attributes) => {
        seenBySampler.push({ ...attributes });
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => "recording",
    };
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const call = startLlmCall(provider.getTracer("sampled"), {
      provider: "openai",
      operation: "chat",
      requestModel: "gpt-4o-mini",
      serverAddress: "api.openai.com",
      serverPort: 443,
      stream: false,
      attributes: { [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 64, [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0 },
    });
    call.end();
    // The attributes the GenAI conventions call sampling-relevant, and only those: the SDK copies creation
    // attributes twice, a later setAttribute once.
    expect(seenBySampler).toEqual([
      {
        [ATTR_GEN_AI_OPERATION_NAME]: "chat",
        [ATTR_GEN_AI_PROVIDER_NAME]: "openai",
        [ATTR_GEN_AI_REQUEST_MODEL]: "gpt-4o-mini",
        [ATTR_SERVER_ADDRESS]: "api.openai.com",
        [ATTR_SERVER_PORT]: 443,
      },
    ]);
    expect(exporter.getFinishedSpans()[0]?.attributes).toMatchObject({
      [ATTR_GEN_AI_REQUEST_MODEL]: "gpt-4o-mini",
      [ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 64,
      [ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0,
    });
  });

  it("writes gen_ai.request.stream for a streaming request only, as the conventions set it", () => {
    otel.reset();
    for (const stream of [true, false, undefined]) {
      startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: `stream-${String(stream)}`, stream }).end();
    }
    expect(otel.span("chat stream-true").attributes[ATTR_GEN_AI_REQUEST_STREAM]).toBe(true);
    expect(otel.span("chat stream-false").attributes).not.toHaveProperty(ATTR_GEN_AI_REQUEST_STREAM);
    expect(otel.span("chat stream-undefined").attributes).not.toHaveProperty(ATTR_GEN_AI_REQUEST_STREAM);
  });

  it("runs the SDK call in a context whose derived contexts keep the call span, or drop it when asked", () => {
    const call = startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: "gpt-4o-mini" });
    const other = Symbol("other");
    const derived = call.context.setValue(other, 1);
    expect(trace.getSpan(derived)).toBe(call.span);
    expect(derived.getValue(other)).toBe(1);
    expect(trace.getSpan(trace.deleteSpan(derived))).toBeUndefined();
    const replacement = tracer().startSpan("replacement");
    expect(trace.getSpan(trace.setSpan(call.context, replacement))).toBe(replacement);
    expect(call.context.getValue(other)).toBeUndefined();
    replacement.end();
    call.end();
  });

  it("records SDK-internal attempts: count, reasons, waits, per-attempt arrays and events (F1)", async () => {
    otel.reset();
    const call = startLlmCall(tracer(), { provider: "anthropic", operation: "chat", requestModel: "claude-haiku-4-5" });
    call.recordAttempt({ statusCode: 429, error: rateLimited(), waitMs: 0, durationMs: 12 });
    call.recordAttempt({ statusCode: 529, error: Object.assign(new Error("overloaded"), { status: 529 }), waitMs: 500 });
    call.recordAttempt({ statusCode: 200, waitMs: 1000.4 });
    call.end();
    call.end(new Error("a second end is ignored"));
    const span = otel.span("chat claude-haiku-4-5");
    expect(span.attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_COUNT]: 2,
      [ATTR_HTTP_REQUEST_RESEND_COUNT]: 2,
      [ATTR_TELLTALE_RETRY_REASONS]: ["rate_limit", "overloaded"],
      [ATTR_TELLTALE_RETRY_WAIT_MS]: 1500,
      [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [429, 529, 200],
      [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["rate_limit", "overloaded", "ok"],
      [ATTR_TELLTALE_ATTEMPT_WAITS_MS]: [0, 500, 1000],
      [ATTR_TELLTALE_KEEP]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["retried"],
    });
    expect(span.attributes[ATTR_TELLTALE_RETRY_NON_RECOVERABLE]).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const attempts = span.events.filter((event) => event.name === EVENT_TELLTALE_ATTEMPT);
    // The attempt's class has a key of its own: a search for failed spans by telltale.error.class must not match the
    // events of a call that recovered.
    expect(attempts.map((event) => event.attributes)).toEqual([
      { [ATTR_TELLTALE_ATTEMPT_NUMBER]: 1, [ATTR_TELLTALE_ATTEMPT_WAIT_MS]: 0, [ATTR_TELLTALE_ATTEMPT_ERROR_CLASS]: "rate_limit", [ATTR_HTTP_RESPONSE_STATUS_CODE]: 429, [ATTR_TELLTALE_ATTEMPT_DURATION_MS]: 12 },
      { [ATTR_TELLTALE_ATTEMPT_NUMBER]: 2, [ATTR_TELLTALE_ATTEMPT_WAIT_MS]: 500, [ATTR_TELLTALE_ATTEMPT_ERROR_CLASS]: "overloaded", [ATTR_HTTP_RESPONSE_STATUS_CODE]: 529 },
      { [ATTR_TELLTALE_ATTEMPT_NUMBER]: 3, [ATTR_TELLTALE_ATTEMPT_WAIT_MS]: 1000, [ATTR_TELLTALE_ATTEMPT_ERROR_CLASS]: "ok", [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200 },
    ]);
    expect(span.attributes[ATTR_TELLTALE_ERROR_CLASS]).toBeUndefined();
    expect(await otel.counterTotal(METRIC_TELLTALE_RETRIES, { [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit" })).toBe(1);
    expect(await otel.counterTotal(METRIC_TELLTALE_RETRIES, { [ATTR_TELLTALE_ERROR_CLASS]: "overloaded" })).toBe(1);
  });

  it("classifies an attempt reported by status code alone (a retried 503 the SDK never threw)", () => {
    otel.reset();
    const call = startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: "gpt-4o-mini" });
    call.recordAttempt({ statusCode: 503, waitMs: 0 });
    call.recordAttempt({ statusCode: 200, waitMs: 20 });
    call.end();
    const span = otel.span("chat gpt-4o-mini");
    expect(span.attributes[ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]).toEqual(["server_error", "ok"]);
    expect(span.attributes[ATTR_TELLTALE_RETRY_REASONS]).toEqual(["server_error"]);
    expect(span.attributes[ATTR_TELLTALE_RETRY_COUNT]).toBe(1);
  });

  it("flags a retry of a non-recoverable error and classifies the final error (F3)", () => {
    otel.reset();
    const contextError = Object.assign(new Error("maximum context length is 8192 tokens"), {
      status: 400,
      code: "context_length_exceeded",
    });
    const call = startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: "gpt-4.1" });
    call.recordAttempt({ statusCode: 400, error: contextError, waitMs: 0 });
    call.recordAttempt({ statusCode: 400, error: contextError, waitMs: 200 });
    call.end(contextError);
    const span = otel.span("chat gpt-4.1");
    expect(span.attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_COUNT]: 1,
      [ATTR_TELLTALE_RETRY_REASONS]: ["context_length_exceeded"],
      [ATTR_TELLTALE_RETRY_NON_RECOVERABLE]: true,
      [ATTR_ERROR_TYPE]: "context_length_exceeded",
      [ATTR_TELLTALE_ERROR_CLASS]: "context_length_exceeded",
      [ATTR_TELLTALE_ERROR_RECOVERABLE]: false,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 400,
      [ATTR_TELLTALE_KEEP_REASONS]: ["error", "retried", "non_recoverable_retry"],
    });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("leaves out an empty list of finish reasons, and writes the rest of the response", () => {
    otel.reset();
    const call = startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: "gpt-4o-mini-empty" });
    call.recordResponse({ responseModel: "gpt-4o-mini-2024-07-18", responseId: "chatcmpl-2", finishReasons: [] });
    call.end();
    const span = otel.span("chat gpt-4o-mini-empty");
    expect(span.attributes).toMatchObject({ [ATTR_GEN_AI_RESPONSE_MODEL]: "gpt-4o-mini-2024-07-18", [ATTR_GEN_AI_RESPONSE_ID]: "chatcmpl-2" });
    expect(Object.keys(span.attributes)).not.toContain(ATTR_GEN_AI_RESPONSE_FINISH_REASONS);
  });

  it("records usage, the cost from the price table and the GenAI metrics", async () => {
    otel.reset();
    const call = startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: "gpt-4o-mini-metrics" });
    call.recordResponse({ responseModel: "gpt-4o-mini-2024-07-18" });
    call.recordUsage({ inputTokens: 1_000, outputTokens: 500, cacheReadInputTokens: 200 });
    call.end();
    const span = otel.span("chat gpt-4o-mini-metrics");
    // 800 uncached × 0.15 + 200 cached × 0.075 + 500 × 0.60, per million
    const expectedCost = (800 * 0.15 + 200 * 0.075 + 500 * 0.6) / 1_000_000;
    expect(span.attributes).toMatchObject({
      [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 1_000,
      [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 500,
      [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 200,
    });
    expect(span.attributes[ATTR_TELLTALE_USAGE_COST_USD]).toBeCloseTo(expectedCost, 12);
    // The call is its own trace: its usage and cost are the totals, so no running totals repeat them.
    expect(span.attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED]).toBeUndefined();
    expect(span.attributes[ATTR_TELLTALE_BUDGET_COST_USD_USED]).toBeUndefined();
    const ofThisCall = <T extends { attributes: Record<string, unknown> }>(points: T[]) =>
      points.filter((p) => p.attributes[ATTR_GEN_AI_REQUEST_MODEL] === "gpt-4o-mini-metrics");
    const tokenPoints = ofThisCall(await otel.histogramPoints(METRIC_GEN_AI_CLIENT_TOKEN_USAGE));
    const byType = Object.fromEntries(tokenPoints.map((p) => [p.attributes[ATTR_GEN_AI_TOKEN_TYPE], p.value.sum]));
    expect(byType).toEqual({ input: 1_000, output: 500 });
    expect(tokenPoints[0]?.attributes).toMatchObject({
      [ATTR_GEN_AI_OPERATION_NAME]: "chat",
      [ATTR_GEN_AI_PROVIDER_NAME]: "openai",
      [ATTR_GEN_AI_REQUEST_MODEL]: "gpt-4o-mini-metrics",
      [ATTR_GEN_AI_RESPONSE_MODEL]: "gpt-4o-mini-2024-07-18",
    });
    const durations = ofThisCall(await otel.histogramPoints(METRIC_GEN_AI_CLIENT_OPERATION_DURATION));
    expect(durations.map((p) => p.value.count)).toEqual([1]);
  });

  it("counts usage reported twice on one call only once in the trace total", () => {
    otel.reset();
    const root = tracer().startSpan("root");
    const call = startLlmCall(tracer(), {
      provider: "openai",
      operation: "chat",
      requestModel: "gpt-4o",
      parentContext: trace.setSpan(context.active(), root),
    });
    call.recordUsage({ inputTokens: 100, outputTokens: 10 });
    call.recordUsage({ inputTokens: 100, outputTokens: 40 });
    call.end();
    root.end();
    expect(otel.span("chat gpt-4o").attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED]).toBe(140);
  });

  it("records a soft error once, with detail, keep and a metric (F4)", async () => {
    otel.reset();
    const call = startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: "gpt-5" });
    call.softError("truncated", "finish_reason=length");
    call.softError("empty_output");
    call.end();
    const span = otel.span("chat gpt-5");
    expect(span.attributes).toMatchObject({
      [ATTR_TELLTALE_SOFT_ERROR]: "truncated",
      [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "finish_reason=length",
      [ATTR_TELLTALE_KEEP_REASONS]: ["soft_error"],
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(await otel.counterTotal(METRIC_TELLTALE_SOFT_ERRORS, { [ATTR_TELLTALE_SOFT_ERROR]: "truncated" })).toBe(1);
  });

  it("ends at the time it is told the call really ended: span end and duration metric alike", async () => {
    otel.reset();
    const call = startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: "ended-earlier" });
    const lastAttemptEndedAt = performance.now();
    call.recordAttempt({ statusCode: 429, waitMs: 0 });
    // No retry came: the caller learns it later, and ends the call when its last attempt ended.
    await new Promise((resolve) => setTimeout(resolve, 30));
    call.end(rateLimited(), lastAttemptEndedAt);
    const span = otel.span("chat ended-earlier");
    const spanMs = (span.endTime[0] - span.startTime[0]) * 1000 + (span.endTime[1] - span.startTime[1]) / 1e6;
    const [point] = (await otel.histogramPoints(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)).filter(
      (candidate) => candidate.attributes[ATTR_GEN_AI_REQUEST_MODEL] === "ended-earlier",
    );
    expect(point?.value.sum).toBeCloseTo(spanMs / 1000, 2);
    // The span ends where the caller said, before the 30 ms it waited to say it.
    expect(spanMs).toBeLessThan(performance.now() - lastAttemptEndedAt);
    expect(span.attributes[ATTR_TELLTALE_ERROR_CLASS]).toBe("rate_limit");
  });

  it("reports an end time that is not a performance.now() reading of the past, and ends now", () => {
    otel.reset();
    const messages = collectDiag();
    for (const endTime of [Number.NaN, performance.now() + 60_000]) {
      startLlmCall(tracer(), { provider: "openai", operation: "chat", requestModel: "odd-end" }).end(undefined, endTime);
    }
    expect(otel.spans().filter((span) => span.name === "chat odd-end")).toHaveLength(2);
    expect(messages.matching("LlmCall.end", "endTime")).toHaveLength(1);
  });

  it("a rejected call's error passes through classification and status; budgetCheck allows calls without a budget", () => {
    otel.reset();
    expect(budgetCheck()).toBeUndefined();
    const call = startLlmCall(tracer(), { provider: "openai", operation: "embeddings", requestModel: "text-embedding-3-small" });
    call.recordAttempt({ error: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), waitMs: 0 });
    call.end(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    const span = otel.span("embeddings text-embedding-3-small");
    expect(span.attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: "connection",
      [ATTR_TELLTALE_ERROR_CLASS]: "connection",
      [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
      [ATTR_TELLTALE_ATTEMPT_STATUS_CODES]: [0],
      [ATTR_TELLTALE_RETRY_COUNT]: 0,
    });
  });
});

describe("price table", () => {
  it("is dated, matches the longest model prefix and can be overridden", () => {
    expect(PRICE_TABLE_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(findPrice(DEFAULT_PRICES, "openai", "gpt-4o-mini-2024-07-18")).toBe(DEFAULT_PRICES.openai?.["gpt-4o-mini"]);
    expect(findPrice(DEFAULT_PRICES, "openai", "gpt-4o-2024-08-06")).toBe(DEFAULT_PRICES.openai?.["gpt-4o"]);
    expect(findPrice(DEFAULT_PRICES, "anthropic", "claude-sonnet-4-5-20250929")).toBe(DEFAULT_PRICES.anthropic?.["claude-sonnet-4"]);
    expect(findPrice(DEFAULT_PRICES, "openai", "unknown-model")).toBeUndefined();
    expect(costOf({ inputPerMillion: 3, outputPerMillion: 15, cacheWritePerMillion: 3.75 }, {
      inputTokens: 2_000_000,
      cacheCreationInputTokens: 1_000_000,
      outputTokens: 1_000_000,
    })).toBeCloseTo(3 + 3.75 + 15, 9);

    setPrices({ mock: { "mock-model": { inputPerMillion: 1_000_000, outputPerMillion: 2_000_000 } } });
    expect(getPrices().openai).toEqual(DEFAULT_PRICES.openai);
    otel.reset();
    const call = startLlmCall(tracer(), { provider: "mock", operation: "chat", requestModel: "mock-model" });
    call.recordUsage({ inputTokens: 3, outputTokens: 2 });
    call.end();
    expect(otel.span("chat mock-model").attributes[ATTR_TELLTALE_USAGE_COST_USD]).toBe(7);
    resetPrices();
    expect(getPrices()).toBe(DEFAULT_PRICES);
  });

  it("prices each call by its own provider and model, and by the table in use when it reports usage", () => {
    const costOfOneCall = (provider: string, model: string): unknown => {
      otel.reset();
      const call = startLlmCall(tracer(), { provider, operation: "chat", requestModel: model });
      call.recordUsage({ inputTokens: 1, outputTokens: 0 });
      call.end();
      return otel.span(`chat ${model}`).attributes[ATTR_TELLTALE_USAGE_COST_USD];
    };
    setPrices({
      mock: { "shared-name": { inputPerMillion: 1_000_000, outputPerMillion: 0 } },
      other: { "shared-name": { inputPerMillion: 2_000_000, outputPerMillion: 0 } },
    });
    // The same model name twice in a row, then under another provider, then back: the memo's last lookup must not
    // answer for another provider.
    expect([
      costOfOneCall("mock", "shared-name"),
      costOfOneCall("mock", "shared-name"),
      costOfOneCall("other", "shared-name"),
      costOfOneCall("mock", "shared-name"),
      costOfOneCall("mock", "unpriced-name"),
    ]).toEqual([1, 1, 2, 1, undefined]);
    setPrices({ mock: { "shared-name": { inputPerMillion: 5_000_000, outputPerMillion: 0 } } });
    expect(costOfOneCall("mock", "shared-name")).toBe(5);
    resetPrices();
    expect(costOfOneCall("mock", "shared-name")).toBeUndefined();
  });
});
