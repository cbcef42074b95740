import { afterEach, describe, expect, it, vi } from "vitest";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { retry, step, workflow } from "@telltale/core";
import { fingerprint, startLlmCall } from "@telltale/core/instrumentation";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_ARGS_FINGERPRINT,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_DURATION_MS,
  ATTR_TELLTALE_ATTEMPT_NUMBER,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ATTEMPT_WAIT_MS,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_RETRY_ARGS_CHANGED,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NAME,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  EVENT_TELLTALE_ATTEMPT,
  METRIC_TELLTALE_RETRIES,
} from "@telltale/core/attributes";
import { parentId, setupOtel, spanId } from "./otel.js";

const otel = setupOtel();

afterEach(() => {
  vi.useRealTimers();
});

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
    expect(events.map((e) => [e.attributes?.[ATTR_TELLTALE_ATTEMPT_NUMBER], e.attributes?.[ATTR_TELLTALE_ATTEMPT_WAIT_MS], e.attributes?.[ATTR_TELLTALE_ATTEMPT_ERROR_CLASS]])).toEqual([
      [1, 0, "rate_limit"],
      [2, 2, "server_error"],
      [3, 6, "ok"],
    ]);
    // Only a failed span says telltale.error.class; the events of a recovered operation do not.
    expect(events.some((e) => e.attributes?.[ATTR_TELLTALE_ERROR_CLASS] !== undefined)).toBe(false);
    expect(span.attributes[ATTR_TELLTALE_ERROR_CLASS]).toBeUndefined();
    expect(
      await otel.counterTotal(METRIC_TELLTALE_RETRIES, { [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit", [ATTR_TELLTALE_RETRY_NAME]: "summarise" }),
    ).toBe(1);
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

describe("one attempt recorder for retry() and LLM calls", () => {
  /** The telltale.* view of a span: its attributes and attempt events, without the HTTP-only names. */
  function telltaleView(name: string): { attributes: Record<string, unknown>; events: unknown[] } {
    const span = otel.span(name);
    const attributes = Object.fromEntries(
      Object.entries(span.attributes).filter(([key]) => key.startsWith("telltale.") && key !== ATTR_TELLTALE_ATTEMPT_STATUS_CODES && key !== ATTR_TELLTALE_RETRY_NAME),
    );
    const events = span.events
      .filter((event) => event.name === EVENT_TELLTALE_ATTEMPT)
      .map((event) => {
        const { [ATTR_TELLTALE_ATTEMPT_DURATION_MS]: _duration, [ATTR_HTTP_RESPONSE_STATUS_CODE]: _status, ...rest } = event.attributes ?? {};
        return rest;
      });
    return { attributes, events };
  }

  it("writes nothing for a single successful attempt, in both", async () => {
    otel.reset();
    expect(await retry(() => "first time", { name: "lucky" })).toBe("first time");
    const call = startLlmCall(trace.getTracer("llm"), { provider: "openai", operation: "chat", requestModel: "lucky" });
    call.recordAttempt({ statusCode: 200, waitMs: 0 });
    call.end();
    for (const name of ["retry lucky", "chat lucky"]) {
      const span = otel.span(name);
      expect(span.attributes[ATTR_TELLTALE_RETRY_COUNT], name).toBeUndefined();
      expect(span.attributes[ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES], name).toBeUndefined();
      expect(span.attributes[ATTR_TELLTALE_ATTEMPT_WAITS_MS], name).toBeUndefined();
      expect(span.events, name).toEqual([]);
    }
  });

  it("writes the same attributes, events and keep marks for the same attempts, and counts retries by operation", async () => {
    otel.reset();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    const waits = [0, 40, 80];
    const outcomes = [httpError(429), httpError(401, "bad key"), "ok"] as const;
    const done = retry(
      (attempt) => {
        const outcome = outcomes[attempt.number - 1];
        if (outcome !== "ok") throw outcome;
        return "ok";
      },
      { name: "same", retryOn: () => true, delayMs: (attempt) => waits[attempt] },
    );
    await vi.advanceTimersByTimeAsync(40);
    await vi.advanceTimersByTimeAsync(80);
    expect(await done).toBe("ok");
    vi.useRealTimers();

    const call = startLlmCall(trace.getTracer("llm"), { provider: "openai", operation: "chat", requestModel: "same" });
    call.recordAttempt({ statusCode: 429, error: httpError(429), waitMs: 0 });
    call.recordAttempt({ statusCode: 401, error: httpError(401, "bad key"), waitMs: 40 });
    call.recordAttempt({ statusCode: 200, waitMs: 80 });
    call.end();

    const fromRetry = telltaleView("retry same");
    expect(fromRetry).toEqual(telltaleView("chat same"));
    expect(fromRetry.attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_COUNT]: 2,
      [ATTR_TELLTALE_RETRY_REASONS]: ["rate_limit", "auth"],
      [ATTR_TELLTALE_ATTEMPT_WAITS_MS]: [0, 40, 80],
      [ATTR_TELLTALE_RETRY_WAIT_MS]: 120,
      [ATTR_TELLTALE_RETRY_NON_RECOVERABLE]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["retried", "non_recoverable_retry"],
    });
    expect(fromRetry.events).toHaveLength(3);
    expect(await otel.counterTotal(METRIC_TELLTALE_RETRIES, { [ATTR_TELLTALE_RETRY_NAME]: "same", [ATTR_TELLTALE_ERROR_CLASS]: "auth" })).toBe(1);
    expect(await otel.counterTotal(METRIC_TELLTALE_RETRIES, { [ATTR_GEN_AI_OPERATION_NAME]: "chat", [ATTR_TELLTALE_ERROR_CLASS]: "auth" })).toBe(1);
  });
});

describe("retry waits (F10)", () => {
  it("records the wait that happened when the deadline cuts a backoff short", async () => {
    otel.reset();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
    const failure = httpError(503);
    const done = workflow("impatient", { deadlineMs: 100 }, () =>
      retry(
        () => {
          throw failure;
        },
        { name: "cut-short", delayMs: () => 10_000 },
      ),
    ).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    expect(await done).toBe(failure);
    vi.useRealTimers();
    expect(otel.span("retry cut-short").attributes).toMatchObject({
      [ATTR_TELLTALE_RETRY_COUNT]: 0,
      [ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]: ["server_error"],
      [ATTR_TELLTALE_ATTEMPT_WAITS_MS]: [0, 100],
      [ATTR_TELLTALE_RETRY_WAIT_MS]: 100,
    });
  });

  it("never hands setTimeout a negative or non-finite delay", async () => {
    const delays: unknown[] = [];
    const realSetTimeout = globalThis.setTimeout;
    const spy = vi.spyOn(globalThis, "setTimeout").mockImplementation(((handler: () => void, delay?: number) => {
      delays.push(delay);
      return realSetTimeout(handler, 0);
    }) as typeof setTimeout);
    try {
      let attempts = 0;
      await retry(
        () => {
          attempts += 1;
          if (attempts < 4) throw httpError(503);
          return "ok";
        },
        { name: "odd-delays", maxAttempts: 4, delayMs: (attempt) => [Number.NaN, -50, Number.NEGATIVE_INFINITY][attempt - 1], jitter: false, initialDelayMs: 1 },
      );
    } finally {
      spy.mockRestore();
    }
    expect(delays.length).toBeGreaterThanOrEqual(3);
    expect(delays.every((delay) => typeof delay === "number" && Number.isFinite(delay) && delay >= 0)).toBe(true);
  });
});
