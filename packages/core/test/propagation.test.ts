import { describe, expect, it, vi } from "vitest";
import { context, trace } from "@opentelemetry/api";
import {
  extract,
  inject,
  step,
  tool,
  trackedTraceCount,
  workflow,
} from "@telltale/core";
import { startLlmCall } from "@telltale/core/instrumentation";
import {
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_ORPHAN,
} from "@telltale/core/attributes";
import { parentId, setupOtel, spanId, traceId } from "./otel.js";

const otel = setupOtel();

interface Job {
  payload: { documentId: string };
  trace: Record<string, unknown>;
}

/** A queue that loses everything but JSON, like a real broker. */
function enqueue(job: Job): string {
  return JSON.stringify(job);
}

describe("queue hand-off (F14)", () => {
  it("carries the trace, deadline and budget through a JSON job payload into the consumer", async () => {
    otel.reset();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"], now: 50_000 });
    const queue: string[] = [];
    await workflow("producer", { deadlineMs: 2_000, budget: { tokens: 100 } }, () =>
      step("enqueue", () => {
        const call = startLlmCall(trace.getTracer("llm"), { provider: "openai", operation: "chat", requestModel: "gpt-4o" });
        call.recordUsage({ inputTokens: 60, outputTokens: 0 });
        call.end();
        queue.push(enqueue({ payload: { documentId: "doc-7" }, trace: inject() }));
      }),
    );
    expect(trackedTraceCount()).toBe(0);

    vi.advanceTimersByTime(500);
    // The consumer runs later, in a fresh context (as a worker would).
    const job = JSON.parse(queue[0]!) as Job;
    expect(job.trace.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const processed = await context.with(context.active(), () =>
      extract(job.trace, () =>
        tool("index_document", () => {
          const call = startLlmCall(trace.getTracer("llm"), { provider: "openai", operation: "chat", requestModel: "gpt-4o-mini" });
          call.recordUsage({ inputTokens: 30, outputTokens: 20 });
          call.end();
          return `indexed ${job.payload.documentId}`;
        }),
      ),
    );
    vi.useRealTimers();
    expect(processed).toBe("indexed doc-7");

    const producerStep = otel.span("step enqueue");
    const consumerTool = otel.span("execute_tool index_document");
    expect(traceId(consumerTool)).toBe(traceId(otel.span("invoke_agent producer")));
    expect(parentId(consumerTool)).toBe(spanId(producerStep));
    expect(consumerTool.parentSpanContext?.isRemote).toBe(true);
    expect(consumerTool.attributes[ATTR_TELLTALE_ORPHAN]).toBeUndefined();
    expect(consumerTool.attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS]).toBe(1_500);
    const consumerCall = otel.span("chat gpt-4o-mini");
    expect(parentId(consumerCall)).toBe(spanId(consumerTool));
    expect(consumerCall.attributes).toMatchObject({
      [ATTR_TELLTALE_BUDGET_TOKENS_USED]: 110,
      [ATTR_TELLTALE_BUDGET_EXCEEDED]: true,
    });
    expect(trackedTraceCount()).toBe(0);
  });

  it("marks consumer work orphan when the job carried no trace, and still returns its value", async () => {
    otel.reset();
    const result = await extract({}, () => step("consume", () => 42));
    expect(result).toBe(42);
    expect(otel.span("step consume").attributes[ATTR_TELLTALE_ORPHAN]).toBe(true);
    expect(await extract(undefined, () => "no carrier")).toBe("no carrier");
    expect(await extract({ traceparent: "garbage", "telltale-workflow": "{not json" }, () => "bad carrier")).toBe("bad carrier");
  });

  it("passes the consumer's error through unchanged", async () => {
    const failure = new Error("consumer failed");
    await expect(extract(inject({}), () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
