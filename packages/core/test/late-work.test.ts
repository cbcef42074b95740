// Late work keeps its trace (F11): a workflow that ends while work it started is still running says so on its
// span (telltale.workflow.pending_tasks) and marks the trace kept (reason late) at the moment a tail sampler decides,
// so that the late span, which ends after that decision, joins a kept trace.
import { afterEach, describe, expect, it, vi } from "vitest";
import { context, trace } from "@opentelemetry/api";
import {
  retry,
  spawn,
  step,
  tool,
  workflow,
} from "@telltale/core";
import {
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_LATE_BY_MS,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_PENDING_TASKS,
} from "@telltale/core/attributes";
import { parentId, setupOtel, spanId, traceId } from "./otel.js";

const otel = setupOtel();
afterEach(() => {
  vi.useRealTimers();
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

describe("work still running when its workflow ends (F11)", () => {
  it("is counted on the workflow span, which is kept for it before the late spans end", async () => {
    otel.reset();
    const release = deferred();
    const running: Promise<unknown>[] = [];
    await workflow("fire-and-forget", { steps: ["notify"] }, async () => {
      await step("notify", () => {
        running.push(spawn("send-webhook", () => release.promise));
        running.push(spawn("send-email", () => release.promise));
      });
      running.push(tool("index", () => release.promise));
    });

    // At the moment a tail sampler looks at the ended root, the late spans have not ended yet.
    expect(otel.spans().map((span) => span.name)).toEqual(["step notify", "invoke_agent fire-and-forget"]);
    const root = otel.span("invoke_agent fire-and-forget");
    expect(root.attributes).toMatchObject({
      [ATTR_TELLTALE_WORKFLOW_PENDING_TASKS]: 3,
      [ATTR_TELLTALE_KEEP]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["late"],
      [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "ok",
    });

    release.resolve();
    await Promise.all(running);
    const webhook = otel.span("spawn send-webhook");
    expect(webhook.attributes[ATTR_TELLTALE_LATE]).toBe(true);
    expect(traceId(webhook)).toBe(traceId(root));
    expect(parentId(webhook)).toBe(spanId(otel.span("step notify")));
    expect(parentId(otel.span("execute_tool index"))).toBe(spanId(root));
  });

  it("counts a nested workflow that is still running, and only on its own workflow", async () => {
    otel.reset();
    const release = deferred();
    let inner: Promise<unknown> | undefined;
    await workflow("outer", () => {
      inner = workflow("inner", () => step("waits", () => release.promise));
    });
    expect(otel.span("invoke_agent outer").attributes[ATTR_TELLTALE_WORKFLOW_PENDING_TASKS]).toBe(1);
    release.resolve();
    await inner;
    // The inner workflow's own step ended before it did: nothing pending there.
    expect(otel.span("invoke_agent inner").attributes[ATTR_TELLTALE_WORKFLOW_PENDING_TASKS]).toBeUndefined();
  });

  it("is absent when every piece of work ended before the workflow", async () => {
    otel.reset();
    await workflow("tidy", async () => {
      await spawn("awaited", () => "done");
      await step("s", () => tool("t", () => "x"));
    });
    const root = otel.span("invoke_agent tidy");
    expect(root.attributes[ATTR_TELLTALE_WORKFLOW_PENDING_TASKS]).toBeUndefined();
    expect(root.attributes[ATTR_TELLTALE_KEEP]).toBeUndefined();
  });

  it("is late when it outlives the retry span it started under", async () => {
    otel.reset();
    vi.useFakeTimers({ toFake: ["Date"], now: 7_000 });
    const release = deferred();
    let running: Promise<unknown> | undefined;
    await workflow("retrying", () =>
      retry(() => {
        running = spawn("follow-up", () => release.promise);
        return "ok";
      }, { name: "send" }),
    );
    vi.setSystemTime(7_120);
    release.resolve();
    await running;
    const late = otel.span("spawn follow-up");
    expect(parentId(late)).toBe(spanId(otel.span("retry send")));
    expect(late.attributes).toMatchObject({ [ATTR_TELLTALE_LATE]: true, [ATTR_TELLTALE_LATE_BY_MS]: 120 });
    expect(late.links.map((link) => link.context.spanId)).toEqual([spanId(otel.span("retry send"))]);
  });

  it("is not judged late under a span an older copy of core put in the context, and still ends", async () => {
    otel.reset();
    // An older copy of core sharing the process state held the span itself under core's context key.
    const coreSpanKey = Symbol.for("telltale.core.span");
    await workflow("mixed", async () => {
      const foreign = trace.getTracer("older-core").startSpan("step from an older copy");
      foreign.end();
      await context.with(context.active().setValue(coreSpanKey, foreign), () => step("after", () => "done"));
    });
    const after = otel.span("step after");
    expect(after.attributes[ATTR_TELLTALE_LATE]).toBeUndefined();
    expect(traceId(after)).toBe(traceId(otel.span("invoke_agent mixed")));
  });
});
