import { describe, expect, it } from "vitest";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_TELLTALE_ARGS_FINGERPRINT,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_NUMBER,
  ATTR_TELLTALE_ATTEMPT_WAIT_MS,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_RETRY_ARGS_CHANGED,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  EVENT_TELLTALE_ATTEMPT,
  METRIC_TELLTALE_RETRIES,
  fingerprint,
  retry,
  startLlmCall,
  step,
  workflow,
} from "@telltale/core";
import { parentId, setupOtel, spanId } from "./otel.js";

const otel = setupOtel();

function httpError(status: number, message = `HTTP ${status}`): Error {
  return Object.assign(new Error(message), { status });
}

describe("retry (F3, F7)", () => {
  it("retries recoverable errors with backoff, recording count, reasons and waits", async () => {
    otel.reset();
    const failures = [httpError(429), httpError(503)];
    const seen: number[] = [];
    const result = await workflow("agent", () =>
      step("summarise", () =>
        retry(
          (attempt) => {
            seen.push(attempt.number);
            const failure = failures.shift();
            if (failure) throw failure;
            return "summary";
          },
          { name: "summarise", initialDelayMs: 2, multiplier: 3, jitter: false },
        ),
      ),
    );
    expect(result).toBe("summary");
    expect(seen).toEqual([1, 2, 3]);
    const span = otel.span("retry summarise");
    expect(parentId(span)).toBe(spanId(otel.span("step summarise")));
    expect(span.attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_COUNT]: 2,
      [ATTR_TELLTALE_RETRY_REASONS]: ["rate_limit", "server_error"],
      [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["rate_limit", "server_error", "ok"],
      [ATTR_TELLTALE_ATTEMPT_WAITS_MS]: [0, 2, 6],
      [ATTR_TELLTALE_RETRY_WAIT_MS]: 8,
      [ATTR_TELLTALE_KEEP_REASONS]: ["retried"],
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const events = span.events.filter((e) => e.name === EVENT_TELLTALE_ATTEMPT);
    expect(events.map((e) => [e.attributes?.[ATTR_TELLTALE_ATTEMPT_NUMBER], e.attributes?.[ATTR_TELLTALE_ATTEMPT_WAIT_MS], e.attributes?.[ATTR_TELLTALE_ERROR_CLASS]])).toEqual([
      [1, 0, "rate_limit"],
      [2, 2, "server_error"],
      [3, 6, "ok"],
    ]);
    expect(events[0]?.attributes?.[ATTR_TELLTALE_ERROR_RECOVERABLE]).toBe(true);
    expect(await otel.counterTotal(METRIC_TELLTALE_RETRIES, { [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit" })).toBe(1);
  });

  it("does not retry a non-recoverable error and rethrows the same error object", async () => {
    otel.reset();
    const contextTooLong = Object.assign(httpError(400, "prompt is too long: 210000 tokens > 200000 maximum"), {
      error: { type: "error", error: { type: "invalid_request_error" } },
    });
    let attempts = 0;
    const caught = await retry(
      () => {
        attempts += 1;
        throw contextTooLong;
      },
      { name: "answer", maxAttempts: 5, initialDelayMs: 1 },
    ).catch((error: unknown) => error);
    expect(caught).toBe(contextTooLong);
    expect(attempts).toBe(1);
    const span = otel.span("retry answer");
    expect(span.attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_COUNT]: 0,
      [ATTR_TELLTALE_ERROR_CLASS]: "context_length_exceeded",
      [ATTR_TELLTALE_ERROR_RECOVERABLE]: false,
      [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["context_length_exceeded"],
    });
    expect(span.attributes[ATTR_TELLTALE_RETRY_NON_RECOVERABLE]).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("flags a forced retry of a non-recoverable error", async () => {
    otel.reset();
    let attempts = 0;
    await retry(
      () => {
        attempts += 1;
        if (attempts < 2) throw httpError(401, "bad key");
        return "ok";
      },
      { name: "stubborn", retryOn: () => true, initialDelayMs: 0 },
    );
    expect(otel.span("retry stubborn").attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_COUNT]: 1,
      [ATTR_TELLTALE_RETRY_REASONS]: ["auth"],
      [ATTR_TELLTALE_RETRY_NON_RECOVERABLE]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["retried", "non_recoverable_retry"],
    });
  });

  it("gives up after maxAttempts with the last error", async () => {
    otel.reset();
    const errors = [httpError(500, "first"), httpError(502, "second")];
    let index = 0;
    const caught = await retry(
      () => {
        throw errors[index++];
      },
      { name: "flaky", maxAttempts: 2, initialDelayMs: 0 },
    ).catch((error: unknown) => error);
    expect(caught).toBe(errors[1]);
    expect(otel.span("retry flaky").attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_COUNT]: 1,
      [ATTR_ERROR_TYPE]: "server_error",
      [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["server_error", "server_error"],
    });
  });

  it("flags a retry that only succeeded with different arguments, recording fingerprints only", async () => {
    otel.reset();
    const prompts = [{ query: "population of Paris", temperature: 0 }, { temperature: 0, query: "population of Paris" }, { query: "population of France", temperature: 0.9 }];
    await retry(
      (attempt) => {
        const args = attempt.recordArgs(prompts[attempt.number - 1]);
        if (attempt.number < 3) throw httpError(500);
        return args;
      },
      { name: "slot-machine", initialDelayMs: 0 },
    );
    const span = otel.span("retry slot-machine");
    expect(span.attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_ARGS_CHANGED]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["retried", "args_changed"],
    });
    const fingerprints = span.events.map((e) => e.attributes?.[ATTR_TELLTALE_ARGS_FINGERPRINT]);
    // Key order does not change the fingerprint; the changed query does.
    expect(fingerprints[0]).toBe(fingerprints[1]);
    expect(fingerprints[2]).not.toBe(fingerprints[0]);
    expect(fingerprints[0]).toMatch(/^[0-9a-f]{8}$/);
    expect(JSON.stringify(span.attributes)).not.toContain("Paris");
    expect(JSON.stringify(span.events)).not.toContain("Paris");
  });

  it("does not flag unchanged arguments", async () => {
    otel.reset();
    let attempts = 0;
    await retry(
      (attempt) => {
        attempt.recordArgs({ q: "same" });
        if (++attempts < 2) throw httpError(429);
        return "ok";
      },
      { name: "stable", initialDelayMs: 0 },
    );
    expect(otel.span("retry stable").attributes[ATTR_TELLTALE_RETRY_ARGS_CHANGED]).toBeUndefined();
  });

  it("makes LLM calls inside an attempt children of the retry span", async () => {
    otel.reset();
    await retry(
      () => {
        const call = startLlmCall(trace.getTracer("llm"), { provider: "openai", operation: "chat", requestModel: "gpt-4o" });
        call.end();
      },
      { name: "llm" },
    );
    expect(parentId(otel.span("chat gpt-4o"))).toBe(spanId(otel.span("retry llm")));
  });

  it("fingerprints structurally: stable for equal values, different for different ones", () => {
    expect(fingerprint({ a: 1, b: [1, 2, { c: "x" }] })).toBe(fingerprint({ b: [1, 2, { c: "x" }], a: 1 }));
    expect(fingerprint({ a: 1 })).not.toBe(fingerprint({ a: "1" }));
    expect(fingerprint([1, 2])).not.toBe(fingerprint([2, 1]));
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    expect(fingerprint(cyclic)).toMatch(/^[0-9a-f]{8}$/);
  });
});
