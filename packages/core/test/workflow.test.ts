import { afterEach, describe, expect, it, vi } from "vitest";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import {
  DeadlineExceededError,
  spawn,
  step,
  tool,
  trackedTraceCount,
  workflow,
} from "@telltale/core";
import { startLlmCall } from "@telltale/core/instrumentation";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_TELLTALE_DEADLINE_EXCEEDED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_SIDE_EFFECT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SPAWNED,
  ATTR_TELLTALE_STEP_NAME,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  ATTR_TELLTALE_UNHANDLED_REJECTION,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED,
  ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
  ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_TELLTALE_LATE_RESULTS,
  METRIC_TELLTALE_SOFT_ERRORS,
} from "@telltale/core/attributes";
import { parentId, setupOtel, spanId, traceId } from "./otel.js";

const otel = setupOtel();

/** A promise the test settles explicitly, so ordering never depends on timing. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class RateLimitError extends Error {
  readonly status = 429;
}

afterEach(() => {
  vi.useRealTimers();
  otel.reset();
});

describe("workflow and step (F6)", () => {
  it("records the manifest: expected, completed, missing, undeclared, outcome partial", async () => {
    const result = await workflow("ingest", { steps: ["fetch", "parse", "embed", "store"], conversationId: "conv-1" }, async () => {
      await step("fetch", () => "page");
      await step("parse", async () => "doc");
      await step("enrich", () => "extra");
      await step("embed", () => {
        throw new Error("embedding failed");
      }).catch(() => undefined);
      return "returned early";
    });
    expect(result).toBe("returned early");

    const root = otel.span("invoke_agent ingest");
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({
      [ATTR_GEN_AI_OPERATION_NAME]: "invoke_agent",
      [ATTR_GEN_AI_AGENT_NAME]: "ingest",
      [ATTR_GEN_AI_CONVERSATION_ID]: "conv-1",
      [ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED]: ["fetch", "parse", "embed", "store"],
      [ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED]: ["fetch", "parse"],
      [ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]: ["embed", "store"],
      [ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED]: ["enrich"],
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "partial",
      [ATTR_TELLTALE_KEEP]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["partial"],
    });
    expect(root.status.code).toBe(SpanStatusCode.UNSET);

    for (const name of ["fetch", "parse", "enrich", "embed"]) {
      const span = otel.span(`step ${name}`);
      expect(span.attributes[ATTR_TELLTALE_STEP_NAME]).toBe(name);
      expect(span.kind).toBe(SpanKind.INTERNAL);
      expect(parentId(span)).toBe(spanId(root));
      expect(traceId(span)).toBe(traceId(root));
      expect(span.attributes[ATTR_TELLTALE_ORPHAN]).toBeUndefined();
    }
    expect(otel.span("step embed").status.code).toBe(SpanStatusCode.ERROR);
  });

  it("is ok when every declared step completed, and error when the workflow throws (same error object)", async () => {
    await workflow("complete", { steps: ["a", "b"] }, async () => {
      await step("a", () => 1);
      await step("b", () => 2);
    });
    expect(otel.span("invoke_agent complete").attributes).toMatchObject({
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "ok",
      [ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED]: ["a", "b"],
      [ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]: [],
    });
    expect(otel.span("invoke_agent complete").attributes[ATTR_TELLTALE_KEEP]).toBeUndefined();

    const thrown = new RateLimitError("429 slow down");
    const caught = await workflow("failing", { steps: ["a"] }, () => {
      throw thrown;
    }).catch((error: unknown) => error);
    expect(caught).toBe(thrown);
    const failing = otel.span("invoke_agent failing");
    expect(failing.attributes).toMatchObject({
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "error",
      [ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]: ["a"],
      [ATTR_ERROR_TYPE]: "RateLimitError",
      [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit",
    });
    expect(failing.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("nests steps under steps and releases per-trace state when the workflow ends", async () => {
    await workflow("nested", async () => {
      await step("outer", () => step("inner", () => "x"));
    });
    expect(parentId(otel.span("step inner"))).toBe(spanId(otel.span("step outer")));
    expect(parentId(otel.span("step outer"))).toBe(spanId(otel.span("invoke_agent nested")));
    expect(trackedTraceCount()).toBe(0);
  });
});

describe("root cause on the failing span (F2)", () => {
  it("keeps the rate-limit class on the subtask although the caller reports a timeout", async () => {
    const callerError = new Error("subtask timed out");
    await workflow("caller", async () => {
      try {
        await tool("search", async () => {
          throw new RateLimitError("429 Too Many Requests");
        });
      } catch {
        throw callerError;
      }
    }).catch(() => undefined);
    const toolSpan = otel.span("execute_tool search");
    const root = otel.span("invoke_agent caller");
    expect(toolSpan.attributes).toMatchObject({
      [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit",
      [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
      [ATTR_ERROR_TYPE]: "RateLimitError",
    });
    expect(traceId(toolSpan)).toBe(traceId(root));
    expect(root.attributes[ATTR_TELLTALE_ERROR_CLASS]).toBe("unknown");
  });
});

describe("tool (F5, F8)", () => {
  it("names the span execute_tool {name} with the GenAI tool attributes", async () => {
    const value = await workflow("agent", () => tool("weather", { callId: "call_1" }, () => ({ temp: 21 })));
    expect(value).toEqual({ temp: 21 });
    const span = otel.span("execute_tool weather");
    expect(span.attributes).toMatchObject({
      [ATTR_GEN_AI_OPERATION_NAME]: "execute_tool",
      [ATTR_GEN_AI_TOOL_NAME]: "weather",
      [ATTR_GEN_AI_TOOL_CALL_ID]: "call_1",
    });
    expect(span.attributes[ATTR_TELLTALE_SOFT_ERROR]).toBeUndefined();
    expect(span.attributes[ATTR_TELLTALE_KEEP]).toBeUndefined();
  });

  it("marks null, empty and isError results as soft errors", async () => {
    await workflow("agent", async () => {
      await tool("returns-null", () => null);
      await tool("returns-empty-string", () => "  ");
      await tool("returns-empty-array", () => []);
      await tool("returns-mcp-empty", () => ({ content: [] }));
      await tool("returns-mcp-error", () => ({ isError: true, content: [{ type: "text", text: "no such file" }] }));
      await tool("custom-error", { isError: (r) => (r as { ok: boolean }).ok === false }, () => ({ ok: false }));
      await tool("returns-zero", () => 0);
    });
    const kinds = Object.fromEntries(
      otel.spans()
        .filter((s) => s.name.startsWith("execute_tool "))
        .map((s) => [s.attributes[ATTR_GEN_AI_TOOL_NAME], s.attributes[ATTR_TELLTALE_SOFT_ERROR]]),
    );
    expect(kinds).toEqual({
      "returns-null": "empty_tool_result",
      "returns-empty-string": "empty_tool_result",
      "returns-empty-array": "empty_tool_result",
      "returns-mcp-empty": "empty_tool_result",
      "returns-mcp-error": "tool_is_error",
      "custom-error": "tool_is_error",
      "returns-zero": undefined,
    });
    expect(otel.span("execute_tool returns-null").attributes[ATTR_TELLTALE_KEEP_REASONS]).toEqual(["soft_error"]);
    expect(otel.span("execute_tool returns-null").status.code).toBe(SpanStatusCode.UNSET);
    expect(await otel.counterTotal(METRIC_TELLTALE_SOFT_ERRORS, { [ATTR_TELLTALE_SOFT_ERROR]: "tool_is_error" })).toBe(2);
    const toolDurations = (await otel.histogramPoints(METRIC_GEN_AI_CLIENT_OPERATION_DURATION)).filter(
      (p) => p.attributes[ATTR_GEN_AI_TOOL_NAME] === "returns-zero",
    );
    expect(toolDurations.map((p) => p.value.count)).toEqual([1]);
  });

  it("flags a side effect without idempotency key, and the same key twice in one trace as duplicate", async () => {
    const tracedBefore = trackedTraceCount();
    await workflow("payments", async () => {
      await tool("send_email", { sideEffect: true }, () => "sent");
      await tool("charge", { sideEffect: true, idempotencyKey: "order-42" }, () => "charged");
      await tool("charge", { sideEffect: true, idempotencyKey: "order-42" }, () => "charged again");
      await tool("refund", { sideEffect: true, idempotencyKey: "order-42" }, () => "other tool, same key");
    });
    await workflow("payments-again", () => tool("charge", { sideEffect: true, idempotencyKey: "order-42" }, () => "new trace"));

    const email = otel.span("execute_tool send_email");
    expect(email.attributes).toMatchObject({
      [ATTR_TELLTALE_SIDE_EFFECT]: true,
      [ATTR_TELLTALE_IDEMPOTENCY_MISSING]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["idempotency_missing"],
    });
    const charges = otel.spans().filter((s) => s.name === "execute_tool charge");
    expect(charges.map((s) => [s.attributes[ATTR_TELLTALE_IDEMPOTENCY_KEY], s.attributes[ATTR_TELLTALE_DUPLICATE]])).toEqual([
      ["order-42", undefined],
      ["order-42", true],
      ["order-42", undefined],
    ]);
    expect(charges[1]?.attributes[ATTR_TELLTALE_KEEP_REASONS]).toEqual(["duplicate"]);
    expect(otel.span("execute_tool refund").attributes[ATTR_TELLTALE_DUPLICATE]).toBeUndefined();
    // Both traces ran side effects with keys: their keys outlive the workflows, for redelivered jobs of the trace.
    expect(trackedTraceCount()).toBe(tracedBefore + 2);
  });
});

describe("deadlines (F10)", () => {
  it("records the time left, flags a tool timeout longer than it, and aborts with DeadlineExceededError", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 1_000_000 });
    let reason: unknown;
    const caught = await workflow("deadline", { deadlineMs: 1_000 }, async (wf) => {
      expect(wf.remainingMs()).toBe(1_000);
      await step("plan", (run) => {
        expect(run.remainingMs()).toBe(1_000);
      });
      vi.advanceTimersByTime(400);
      await tool("slow_api", { timeoutMs: 5_000 }, () => "ok");
      const call = startLlmCall(trace.getTracer("llm"), { provider: "openai", operation: "chat", requestModel: "gpt-5" });
      call.end();
      const aborted = new Promise<void>((resolve) => wf.signal.addEventListener("abort", () => resolve()));
      await tool("waits", async (run) => {
        vi.advanceTimersByTime(700);
        await aborted;
        reason = run.signal.reason;
        throw run.signal.reason;
      });
    }).catch((error: unknown) => error);

    expect(reason).toBeInstanceOf(DeadlineExceededError);
    expect(caught).toBe(reason);
    expect(otel.span("step plan").attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS]).toBe(1_000);
    expect(otel.span("execute_tool slow_api").attributes).toMatchObject({
      [ATTR_TELLTALE_DEADLINE_REMAINING_MS]: 600,
      [ATTR_TELLTALE_TOOL_TIMEOUT_MS]: 5_000,
      [ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING]: true,
    });
    expect(otel.span("chat gpt-5").attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS]).toBe(600);
    expect(otel.span("execute_tool waits").attributes).toMatchObject({
      [ATTR_TELLTALE_DEADLINE_REMAINING_MS]: 600,
      [ATTR_TELLTALE_DEADLINE_EXCEEDED]: true,
      [ATTR_TELLTALE_ERROR_CLASS]: "deadline_exceeded",
      [ATTR_ERROR_TYPE]: "DeadlineExceededError",
    });
    expect(otel.span("invoke_agent deadline").attributes).toMatchObject({
      [ATTR_TELLTALE_DEADLINE_EXCEEDED]: true,
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "error",
      [ATTR_TELLTALE_ERROR_CLASS]: "deadline_exceeded",
    });
  });

  it("classifies an AbortError caused by the passed deadline as deadline_exceeded", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    await workflow("abort", { deadlineMs: 50 }, () =>
      step("fetch", async (run) => {
        const aborted = new Promise<void>((resolve) => run.signal.addEventListener("abort", () => resolve()));
        vi.advanceTimersByTime(51);
        await aborted;
        throw new DOMException("This operation was aborted", "AbortError");
      }),
    ).catch(() => undefined);
    expect(otel.span("step fetch").attributes).toMatchObject({
      [ATTR_TELLTALE_ERROR_CLASS]: "deadline_exceeded",
      [ATTR_ERROR_TYPE]: "AbortError",
      [ATTR_TELLTALE_DEADLINE_EXCEEDED]: true,
    });
  });

  it("hands out a signal already aborted by the deadline when it is first read after the deadline passed", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 2_000_000 });
    const seen = await workflow("late-reader", { deadlineMs: 100 }, async (wf) => {
      vi.advanceTimersByTime(150);
      const first = wf.signal;
      return { aborted: first.aborted, reason: first.reason as unknown, same: wf.signal === first };
    }).catch((error: unknown) => error);
    expect(seen).toMatchObject({ aborted: true, same: true });
    expect((seen as { reason: unknown }).reason).toBeInstanceOf(DeadlineExceededError);
  });

  it("arms the deadline's timer only for a signal someone reads, and marks a workflow that ran past it either way", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 4_000_000 });
    let timersBefore = vi.getTimerCount();
    let timersArmedUnwatched = -1;
    await workflow("unwatched", { deadlineMs: 100 }, () => {
      timersArmedUnwatched = vi.getTimerCount() - timersBefore;
      vi.advanceTimersByTime(150);
    });
    let timersArmedByRead = -1;
    const watched = await workflow("watched", { deadlineMs: 100 }, (wf) => {
      timersBefore = vi.getTimerCount();
      const signal = wf.signal;
      timersArmedByRead = vi.getTimerCount() - timersBefore;
      return signal;
    });
    vi.advanceTimersByTime(150);

    expect(timersArmedUnwatched).toBe(0);
    expect(timersArmedByRead).toBe(1);
    // The workflow ended before its deadline: its timer went with it.
    expect(watched.aborted).toBe(false);
    expect(otel.span("invoke_agent unwatched").attributes).toMatchObject({
      [ATTR_TELLTALE_DEADLINE_EXCEEDED]: true,
      [ATTR_TELLTALE_KEEP]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["deadline_exceeded"],
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "ok",
    });
    expect(otel.span("invoke_agent watched").attributes[ATTR_TELLTALE_DEADLINE_EXCEEDED]).toBeUndefined();
  });

  it("aborts an inner workflow's signal, first read after the outer deadline passed", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 3_000_000 });
    let outerReason: unknown;
    let innerSignal: AbortSignal | undefined;
    await workflow("outer", { deadlineMs: 100 }, (outer) =>
      workflow("inner", {}, (inner) => {
        vi.advanceTimersByTime(150);
        outerReason = outer.signal.reason;
        innerSignal = inner.signal;
      }),
    ).catch(() => undefined);
    expect(outerReason).toBeInstanceOf(DeadlineExceededError);
    expect(innerSignal?.aborted).toBe(true);
    expect(innerSignal?.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it("gives a nested workflow the earlier of the two deadlines", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    await workflow("outer", { deadlineMs: 300 }, () =>
      workflow("inner", { deadlineMs: 10_000 }, () => step("s", () => undefined)),
    );
    expect(otel.span("step s").attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS]).toBe(300);
  });
});

describe("late and orphaned work (F11, F12)", () => {
  it("marks a spawned task that ends after its step ended late, with a link to its origin", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 5_000 });
    const release = deferred();
    let spawned: Promise<void> | undefined;
    await workflow("fire-and-forget", () =>
      step("notify", () => {
        spawned = spawn("send-webhook", async () => {
          await release.promise;
          return "delivered";
        });
      }),
    );
    vi.setSystemTime(5_250);
    release.resolve();
    await spawned;

    const task = otel.span("spawn send-webhook");
    const origin = otel.span("step notify");
    expect(parentId(task)).toBe(spanId(origin));
    expect(task.attributes).toMatchObject({
      [ATTR_TELLTALE_SPAWNED]: true,
      [ATTR_TELLTALE_LATE]: true,
      [ATTR_TELLTALE_LATE_BY_MS]: 250,
      [ATTR_TELLTALE_KEEP_REASONS]: ["late"],
    });
    expect(task.links.map((link) => link.context.spanId)).toEqual([spanId(origin)]);
    expect(task.links[0]?.context.traceId).toBe(traceId(origin));
    expect(await otel.counterTotal(METRIC_TELLTALE_LATE_RESULTS)).toBeGreaterThanOrEqual(1);
  });

  it("marks a tool whose result arrives after the workflow returned late", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: 10_000 });
    const release = deferred<string>();
    let pending: Promise<string> | undefined;
    await workflow("impatient", async () => {
      pending = tool("slow_search", () => release.promise);
      return "gave up";
    });
    vi.setSystemTime(10_040);
    release.resolve("too late");
    expect(await pending).toBe("too late");
    const late = otel.span("execute_tool slow_search");
    expect(late.attributes).toMatchObject({ [ATTR_TELLTALE_LATE]: true, [ATTR_TELLTALE_LATE_BY_MS]: 40 });
    expect(late.links[0]?.context.spanId).toBe(spanId(otel.span("invoke_agent impatient")));
  });

  it("does not mark work that ends before its parent", async () => {
    await workflow("patient", () => step("a", () => tool("b", () => "x")));
    for (const span of otel.spans()) {
      expect(span.attributes[ATTR_TELLTALE_LATE]).toBeUndefined();
      expect(span.links).toEqual([]);
    }
  });

  it("marks a step or tool with no workflow in its context as orphan", async () => {
    await step("lonely", () => tool("also-lonely", () => "x"));
    expect(otel.span("step lonely").attributes).toMatchObject({ [ATTR_TELLTALE_ORPHAN]: true, [ATTR_TELLTALE_KEEP_REASONS]: ["orphan"] });
    expect(otel.span("execute_tool also-lonely").attributes[ATTR_TELLTALE_ORPHAN]).toBe(true);
  });

  it("records a fire-and-forget rejection on a span of the spawning trace, without an unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);
    const failure = new RateLimitError("429");
    let task: Promise<void> | undefined;
    await workflow("spawner", () => {
      task = spawn("background-sync", async () => {
        throw failure;
      });
    });
    await expect(task).resolves.toBeUndefined();
    // Unhandled rejections are reported after the microtask queue drains.
    await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", onUnhandled);
    expect(unhandled).toEqual([]);

    const span = otel.span("spawn background-sync");
    expect(traceId(span)).toBe(traceId(otel.span("invoke_agent spawner")));
    expect(span.attributes).toMatchObject({
      [ATTR_TELLTALE_UNHANDLED_REJECTION]: true,
      [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit",
      [ATTR_TELLTALE_SPAWNED]: true,
    });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("re-rejects with the same error when asked to", async () => {
    const failure = new Error("boom");
    const task = spawn("rethrowing", () => Promise.reject(failure), { rethrow: true });
    await expect(task).rejects.toBe(failure);
    expect(otel.span("spawn rethrowing").attributes[ATTR_TELLTALE_UNHANDLED_REJECTION]).toBe(true);
  });
});
