// The helpers a tool-protocol instrumentation (MCP) builds on: finding the execute_tool span a call runs in, the
// idempotency checks of tool(), deadline classification, soft errors and late results.
import { context, trace } from "@opentelemetry/api";
import {
  classifyError,
  step,
  tool,
  workflow,
} from "@telltale/core";
import {
  againstDeadline,
  checkIdempotency,
  checkToolTimeout,
  enclosingToolSpan,
  inWorkflow,
  markLateResult,
  markToolSoftError,
} from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_SIDE_EFFECT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  METRIC_TELLTALE_LATE_RESULTS,
  METRIC_TELLTALE_SOFT_ERRORS,
} from "@telltale/core/attributes";
import { beforeEach, describe, expect, it } from "vitest";
import { setupOtel } from "./otel.js";

const otel = setupOtel();
const tracer = trace.getTracer("another-instrumentation");

describe("enclosingToolSpan", () => {
  beforeEach(() => otel.reset());

  it("finds core's tool() span, with its tool name, and says it is core's", async () => {
    const found = await workflow("w", () => tool("get_weather", () => enclosingToolSpan(context.active())));
    expect(found?.toolName).toBe("get_weather");
    expect(found?.core).toBe(true);
    expect(found?.span.spanContext().spanId).toBe(otel.span("execute_tool get_weather").spanContext().spanId);
  });

  it("finds another instrumentation's execute_tool span, not marked as core's", () => {
    const found = tracer.startActiveSpan(
      "execute_tool lookup",
      { attributes: { [ATTR_GEN_AI_OPERATION_NAME]: "execute_tool", [ATTR_GEN_AI_TOOL_NAME]: "lookup" } },
      (span) => {
        const inside = enclosingToolSpan(context.active());
        span.end();
        return inside;
      },
    );
    expect(found).toMatchObject({ toolName: "lookup", core: false });
  });

  it("ignores spans that are not tool executions, ended spans and an empty context", async () => {
    expect(await workflow("w", () => step("s", () => enclosingToolSpan(context.active())))).toBeUndefined();
    const ended = tracer.startSpan("execute_tool x", { attributes: { [ATTR_GEN_AI_OPERATION_NAME]: "execute_tool" } });
    ended.end();
    expect(enclosingToolSpan(trace.setSpan(context.active(), ended))).toBeUndefined();
    expect(enclosingToolSpan(context.active())).toBeUndefined();
  });
});

describe("checkIdempotency", () => {
  beforeEach(() => otel.reset());

  it("flags a missing key and a second run of the same tool with the same key in one trace", async () => {
    await workflow("w", async () => {
      for (const key of ["k1", "k1", undefined]) {
        const span = tracer.startSpan("call");
        checkIdempotency(span, "send_email", key === undefined ? { sideEffect: true } : { sideEffect: true, idempotencyKey: key }, context.active());
        span.end();
      }
      const other = tracer.startSpan("not a side effect");
      checkIdempotency(other, "read", { idempotencyKey: "k1" }, context.active());
      other.end();
    });
    const [first, second, third, fourth] = otel.spans().filter((s) => s.name !== "invoke_agent w");
    expect(first?.attributes).toMatchObject({ [ATTR_TELLTALE_SIDE_EFFECT]: true, [ATTR_TELLTALE_IDEMPOTENCY_KEY]: "k1" });
    expect(first?.attributes[ATTR_TELLTALE_DUPLICATE]).toBeUndefined();
    expect(second?.attributes).toMatchObject({ [ATTR_TELLTALE_DUPLICATE]: true, [ATTR_TELLTALE_KEEP_REASONS]: ["duplicate"] });
    expect(third?.attributes).toMatchObject({ [ATTR_TELLTALE_IDEMPOTENCY_MISSING]: true, [ATTR_TELLTALE_KEEP_REASONS]: ["idempotency_missing"] });
    expect(fourth?.attributes[ATTR_TELLTALE_SIDE_EFFECT]).toBeUndefined();
  });

  it("finds a long key tool() registered, as tool() remembers it (one rule for both)", async () => {
    const key = `order-${"x".repeat(300)}`;
    await workflow("w", async () => {
      await tool("charge", { sideEffect: true, idempotencyKey: key }, () => "ok");
      const span = tracer.startSpan("mcp call");
      checkIdempotency(span, "charge", { sideEffect: true, idempotencyKey: key }, context.active());
      span.end();
    });
    expect(otel.span("mcp call").attributes[ATTR_TELLTALE_DUPLICATE]).toBe(true);
  });

  it("sees a key tool() registered in the same trace", async () => {
    await workflow("w", async () => {
      await tool("charge", { sideEffect: true, idempotencyKey: "order-1" }, () => "ok");
      const span = tracer.startSpan("mcp call");
      checkIdempotency(span, "charge", { sideEffect: true, idempotencyKey: "order-1" }, context.active());
      span.end();
    });
    expect(otel.span("mcp call").attributes[ATTR_TELLTALE_DUPLICATE]).toBe(true);
  });
});

describe("checkToolTimeout", () => {
  beforeEach(() => otel.reset());

  it("records a call's timeout and flags one longer than the time left, as tool() does", async () => {
    await workflow("w", { deadlineMs: 60_000 }, async () => {
      for (const timeoutMs of [120_000, 1_000]) {
        const span = tracer.startSpan(`mcp call ${timeoutMs}`);
        checkToolTimeout(span, timeoutMs, context.active());
        span.end();
      }
      await tool("crawl", { timeoutMs: 120_000 }, () => "page");
    });
    for (const name of ["mcp call 120000", "execute_tool crawl"]) {
      expect(otel.span(name).attributes).toMatchObject({
        [ATTR_TELLTALE_TOOL_TIMEOUT_MS]: 120_000,
        [ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING]: true,
        [ATTR_TELLTALE_KEEP_REASONS]: ["deadline_exceeded"],
      });
    }
    expect(otel.span("mcp call 1000").attributes[ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING]).toBeUndefined();
  });
});

describe("againstDeadline", () => {
  it("turns a timeout after the workflow deadline into deadline_exceeded, and leaves everything else alone", async () => {
    const timeout = classifyError(Object.assign(new Error("t"), { name: "TimeoutError" }));
    expect(timeout.errorClass).toBe("timeout");
    const passed = await workflow("w", { deadlineMs: 1 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return againstDeadline(timeout, context.active());
    });
    expect(passed).toMatchObject({ errorClass: "deadline_exceeded", recoverable: false });
    const inTime = await workflow("w", { deadlineMs: 60_000 }, () => againstDeadline(timeout, context.active()));
    expect(inTime).toEqual(timeout);
    expect(againstDeadline(timeout, context.active())).toEqual(timeout);
    const rateLimit = classifyError(Object.assign(new Error("r"), { status: 429 }));
    expect(await workflow("w", { deadlineMs: 1 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return againstDeadline(rateLimit, context.active());
    })).toEqual(rateLimit);
  });
});

describe("markToolSoftError and markLateResult", () => {
  beforeEach(() => otel.reset());

  it("write the attributes, keep reasons, link and counters", async () => {
    const caller = tracer.startSpan("caller");
    caller.end();
    const span = tracer.startSpan("server");
    markToolSoftError(span, "tool_is_error", "upstream failed");
    markLateResult(span, 41.6, caller.spanContext());
    span.end();
    const recorded = otel.span("server");
    expect(recorded.attributes).toMatchObject({
      [ATTR_TELLTALE_SOFT_ERROR]: "tool_is_error",
      [ATTR_TELLTALE_SOFT_ERROR_DETAIL]: "upstream failed",
      [ATTR_TELLTALE_LATE]: true,
      [ATTR_TELLTALE_LATE_BY_MS]: 42,
      [ATTR_TELLTALE_KEEP_REASONS]: ["soft_error", "late"],
    });
    expect(recorded.links.map((link) => link.context.spanId)).toEqual([caller.spanContext().spanId]);
    expect(await otel.counterTotal(METRIC_TELLTALE_SOFT_ERRORS, { [ATTR_TELLTALE_SOFT_ERROR]: "tool_is_error" })).toBe(1);
    expect(await otel.counterTotal(METRIC_TELLTALE_LATE_RESULTS)).toBe(1);
  });
});

describe("inWorkflow", () => {
  it("is true inside a workflow and inside extract() of a carrier a workflow wrote", async () => {
    const { extract, inject } = await import("@telltale/core");
    expect(inWorkflow(context.active())).toBe(false);
    const carrier = await workflow("w", () => {
      expect(inWorkflow(context.active())).toBe(true);
      return inject({});
    });
    expect(await extract(carrier, () => inWorkflow(context.active()))).toBe(true);
  });
});
