// "Never throws into user code because of telemetry": with a tracer provider whose spans throw on every method,
// every API still returns the user's value (or rejects with the user's own error object), and the failures are
// reported through diag.
import { describe, expect, it } from "vitest";
import { context, diag, DiagLogLevel, trace, type Span, type Tracer, type TracerProvider } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  extract,
  inject,
  recordError,
  markKeep,
  retry,
  spawn,
  step,
  tool,
  workflow,
} from "@telltale/core";
import { budgetCheck, startLlmCall } from "@telltale/core/instrumentation";

const hostileSpan = new Proxy({} as Span, {
  get() {
    return () => {
      throw new Error("hostile span");
    };
  },
});
const hostileTracer: Tracer = {
  startSpan: () => hostileSpan,
  startActiveSpan: () => {
    throw new Error("hostile tracer");
  },
};
const hostileProvider: TracerProvider = { getTracer: () => hostileTracer };

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(hostileProvider);
const reported: unknown[][] = [];
diag.setLogger(
  {
    error: (...args: unknown[]) => reported.push(args),
    warn: () => undefined,
    info: () => undefined,
    debug: () => undefined,
    verbose: () => undefined,
  },
  { logLevel: DiagLogLevel.ERROR, suppressOverrideMessage: true },
);

describe("never throws into user code", () => {
  it("returns the user's values unchanged", async () => {
    const value = { answer: 42 };
    const result = await workflow("w", { steps: ["s"], deadlineMs: 10_000, budget: { tokens: 1, mode: "enforce" } }, () =>
      step("s", () =>
        tool("t", { sideEffect: true, timeoutMs: 5 }, () =>
          retry(async (attempt) => {
            attempt.recordArgs({ q: 1 });
            return value;
          }),
        ),
      ),
    );
    expect(result).toBe(value);
    // Reported under core's component logger, the message unprefixed and followed by what was thrown.
    expect(reported.length).toBeGreaterThan(0);
    for (const [namespace, message, thrown] of reported) {
      expect(namespace).toBe("@telltale/core");
      expect(message).toMatch(/^[a-zA-Z.]+ [a-zA-Z. ]*failed$/);
      expect(thrown).toBeInstanceOf(Error);
    }
  });

  it("rejects with the user's own error object", async () => {
    const failure = new Error("user failure");
    await expect(workflow("w", () => Promise.reject(failure))).rejects.toBe(failure);
    await expect(step("s", () => {
      throw failure;
    })).rejects.toBe(failure);
    await expect(tool("t", () => Promise.reject(failure))).rejects.toBe(failure);
    await expect(retry(() => Promise.reject(failure), { maxAttempts: 1 })).rejects.toBe(failure);
    await expect(spawn("bg", () => Promise.reject(failure), { rethrow: true })).rejects.toBe(failure);
    await expect(extract(inject({}), () => Promise.reject(failure))).rejects.toBe(failure);
  });

  it("lets instrumentations call the LLM contract without throwing", () => {
    const call = startLlmCall(trace.getTracer("x"), { provider: "openai", operation: "chat", requestModel: "gpt-4o" });
    expect(() => {
      call.recordAttempt({ statusCode: 429, error: new Error("x"), waitMs: 1 });
      call.recordResponse({ responseModel: "gpt-4o" });
      call.recordUsage({ inputTokens: 1, outputTokens: 1 });
      call.softError("empty_output");
      call.end(new Error("failed"));
      markKeep(hostileSpan, "error");
      recordError(hostileSpan, new Error("x"));
    }).not.toThrow();
    expect(budgetCheck()).toBeUndefined();
    expect(reported).toContainEqual(["@telltale/core", "LlmCall.end failed", expect.any(Error)]);
    expect(reported).toContainEqual(["@telltale/core", "LlmCall.recordUsage failed", expect.any(Error)]);
  });
});
