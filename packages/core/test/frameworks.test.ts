import { afterEach, describe, expect, it } from "vitest";
import { context, ROOT_CONTEXT, SpanStatusCode, trace, type Context } from "@opentelemetry/api";
import { classifyError } from "@telltale/core";
import {
  registerLlmCallSiteResolver,
  startLlmCall,
  startModelCall,
  startRetrySpan,
  startStepSpan,
  startToolSpan,
  startWorkflowSpan,
  type ModelCall,
} from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_SERVER_ADDRESS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_BUDGET_TOKENS_USED,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_INTERRUPTED,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NAME,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  ATTR_TELLTALE_WORKFLOW_PENDING_TASKS,
  ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED,
  ATTR_TELLTALE_WORKFLOW_STEPS_MISSING,
  METRIC_TELLTALE_SOFT_ERRORS,
} from "@telltale/core/attributes";
import { collectDiag } from "./diag.js";
import { parentId, setupOtel, spanId, traceId } from "./otel.js";

const otel = setupOtel();
const tracer = trace.getTracer("test");
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  otel.reset();
});

describe("start/end spans", () => {
  it("records the manifest of a workflow whose steps were reported as events", () => {
    const run = startWorkflowSpan("graph", { steps: ["plan", "act", "answer"] }, ROOT_CONTEXT);
    const plan = startStepSpan("plan", {}, run.context);
    plan.end();
    const act = startStepSpan("act", {}, run.context);
    act.fail(new Error("boom"));
    run.end();
    const workflow = otel.span("invoke_agent graph");
    expect(workflow.attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME]).toBe("partial");
    expect(workflow.attributes[ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED]).toEqual(["plan"]);
    expect(workflow.attributes[ATTR_TELLTALE_WORKFLOW_STEPS_MISSING]).toEqual(["act", "answer"]);
    expect(parentId(otel.span("step plan"))).toBe(spanId(workflow));
    expect(otel.span("step act").status.code).toBe(SpanStatusCode.ERROR);
  });

  it("ends an interrupted step and workflow as interrupted, neither failed nor partial", () => {
    const run = startWorkflowSpan("graph", { steps: ["ask", "answer"] }, ROOT_CONTEXT);
    startStepSpan("ask", {}, run.context).end({ interrupted: true });
    run.end("interrupted");
    const workflow = otel.span("invoke_agent graph");
    expect(workflow.attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME]).toBe("interrupted");
    expect(workflow.attributes[ATTR_TELLTALE_KEEP_REASONS]).toBeUndefined();
    expect(workflow.attributes[ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED]).toEqual([]);
    expect(otel.span("step ask").attributes[ATTR_TELLTALE_INTERRUPTED]).toBe(true);
    expect(otel.span("step ask").status.code).toBe(SpanStatusCode.UNSET);
  });

  it("marks a run that stopped short without an error partial when told so", () => {
    startWorkflowSpan("agents", {}, ROOT_CONTEXT).end("partial");
    expect(otel.span("invoke_agent agents").attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME]).toBe("partial");
    expect(otel.span("invoke_agent agents").attributes[ATTR_TELLTALE_KEEP_REASONS]).toEqual(["partial"]);
  });

  it("gives tool spans the soft errors, idempotency checks and deadline of the function form", () => {
    const run = startWorkflowSpan("graph", { deadlineMs: 60_000 }, ROOT_CONTEXT);
    startToolSpan("search", {}, run.context).end("");
    startToolSpan("send", { sideEffect: true, idempotencyKey: "k1" }, run.context).end("sent");
    startToolSpan("send", { sideEffect: true, idempotencyKey: "k1" }, run.context).end("sent");
    run.end();
    const [search] = otel.spans().filter((span) => span.name === "execute_tool search");
    expect(search!.attributes[ATTR_TELLTALE_SOFT_ERROR]).toBe("empty_tool_result");
    expect(search!.attributes[ATTR_TELLTALE_DEADLINE_REMAINING_MS]).toBeGreaterThan(0);
    const sends = otel.spans().filter((span) => span.name === "execute_tool send");
    expect(sends.map((span) => span.attributes[ATTR_TELLTALE_DUPLICATE])).toEqual([undefined, true]);
  });

  it("marks an interrupted workflow telltale.interrupted on its own span, as it does an interrupted step", () => {
    startWorkflowSpan("graph", {}, ROOT_CONTEXT).end("interrupted");
    expect(otel.span("invoke_agent graph").attributes[ATTR_TELLTALE_INTERRUPTED]).toBe(true);
  });

  it("records a run's soft error on the workflow span, once, and counts it for invoke_agent", async () => {
    const run = startWorkflowSpan("agent", {}, ROOT_CONTEXT);
    run.softError("stream_aborted", "abandoned");
    run.softError("incomplete", "second");
    run.end("partial");
    const span = otel.span("invoke_agent agent");
    expect(span.attributes[ATTR_TELLTALE_SOFT_ERROR]).toBe("stream_aborted");
    expect(span.attributes[ATTR_TELLTALE_SOFT_ERROR_DETAIL]).toBe("abandoned");
    expect(span.attributes[ATTR_TELLTALE_KEEP_REASONS]).toEqual(["soft_error", "partial"]);
    expect(await otel.counterTotal(METRIC_TELLTALE_SOFT_ERRORS, { [ATTR_GEN_AI_OPERATION_NAME]: "invoke_agent" })).toBe(1);
  });

  it("counts a started step as pending work of its workflow, and marks it late when it ends after the workflow (F11)", async () => {
    const run = startWorkflowSpan("graph", {}, ROOT_CONTEXT);
    const straggler = startStepSpan("slow", {}, run.context);
    run.end();
    // Late is measured in wall-clock milliseconds: end the step in a later one.
    const workflowEnded = Date.now();
    while (Date.now() <= workflowEnded) await new Promise((resolve) => setTimeout(resolve, 1));
    straggler.end();
    const workflow = otel.span("invoke_agent graph");
    expect(workflow.attributes[ATTR_TELLTALE_WORKFLOW_PENDING_TASKS]).toBe(1);
    const step = otel.span("step slow");
    expect(step.attributes[ATTR_TELLTALE_LATE]).toBe(true);
    expect(step.links.map((link) => link.context.spanId)).toEqual([spanId(workflow)]);
  });

  it("flags a tool's own timeout longer than the time left, and gives its signal that timeout (F10)", async () => {
    const run = startWorkflowSpan("graph", { deadlineMs: 60_000 }, ROOT_CONTEXT);
    const slow = startToolSpan("crawl", { timeoutMs: 120_000 }, run.context);
    const quick = startToolSpan("fetch", { timeoutMs: 1 }, run.context);
    const reason = await new Promise((resolve) => quick.signal.addEventListener("abort", () => resolve(quick.signal.reason)));
    expect((reason as DOMException).name).toBe("TimeoutError");
    slow.end("page");
    quick.fail(reason);
    run.end();
    expect(otel.span("execute_tool crawl").attributes).toMatchObject({
      [ATTR_TELLTALE_TOOL_TIMEOUT_MS]: 120_000,
      [ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING]: true,
    });
    expect(otel.span("execute_tool fetch").attributes[ATTR_TELLTALE_ERROR_CLASS]).toBe("timeout");
  });

  it("checks the options of the start forms as the function forms do: a bad one is reported and ignored", () => {
    const messages = collectDiag();
    startWorkflowSpan("graph", { steps: "abc" as unknown as string[] }, ROOT_CONTEXT).end();
    expect(messages.matching("startWorkflowSpan", '"steps"', '"abc"')).toHaveLength(1);
    expect(otel.span("invoke_agent graph").attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME]).toBe("ok");
  });

  it("ends each span once, whatever is called after", () => {
    const run = startWorkflowSpan("graph", {}, ROOT_CONTEXT);
    const step = startStepSpan("a", {}, run.context);
    step.end();
    step.fail(new Error("late"));
    run.end();
    run.fail(new Error("late"));
    expect(otel.spans().map((span) => span.name)).toEqual(["step a", "invoke_agent graph"]);
    expect(otel.span("step a").status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe("errors the framework SDKs raise", () => {
  it("classifies the Agents SDK's guardrail tripwires as guardrail_tripwire, not recoverable", () => {
    for (const name of ["InputGuardrailTripwireTriggered", "OutputGuardrailTripwireTriggered", "ToolInputGuardrailTripwireTriggered"]) {
      const error = Object.assign(new Error("Input guardrail triggered"), { name });
      expect(classifyError(error)).toMatchObject({ errorClass: "guardrail_tripwire", recoverable: false, errorType: name });
    }
  });
});

describe("retry spans for someone else's retries", () => {
  it("records each reported attempt, the waits between them, and a retried non-recoverable error (F1-F3)", () => {
    const run = startWorkflowSpan("graph", {}, ROOT_CONTEXT);
    const retry = startRetrySpan("ChatOpenAI", run.context);
    retry.attempt({ failed: true, error: Object.assign(new Error("context"), { status: 400, code: "context_length_exceeded" }), startedAt: 0, endedAt: 10 });
    retry.attempt({ failed: true, error: Object.assign(new Error("busy"), { status: 429 }), startedAt: 60, endedAt: 70 });
    retry.attempt({ failed: false, startedAt: 100, endedAt: 120 });
    retry.end();
    run.end();
    const span = otel.span("retry ChatOpenAI");
    expect(parentId(span)).toBe(spanId(otel.span("invoke_agent graph")));
    expect(span.attributes[ATTR_TELLTALE_RETRY_COUNT]).toBe(2);
    expect(span.attributes[ATTR_TELLTALE_RETRY_REASONS]).toEqual(["context_length_exceeded", "rate_limit"]);
    expect(span.attributes[ATTR_TELLTALE_ATTEMPT_WAITS_MS]).toEqual([0, 50, 30]);
    expect(span.attributes[ATTR_TELLTALE_RETRY_NON_RECOVERABLE]).toBe(true);
    expect(span.events.map((event) => event.attributes?.[ATTR_TELLTALE_ATTEMPT_ERROR_CLASS])).toEqual(["context_length_exceeded", "rate_limit", "ok"]);
    expect(span.attributes[ATTR_TELLTALE_RETRY_NAME]).toBe("ChatOpenAI");
  });

  it("fails with the last error when no attempt succeeded", () => {
    const retry = startRetrySpan("step", ROOT_CONTEXT);
    const error = Object.assign(new Error("down"), { status: 503 });
    retry.attempt({ failed: true, error, startedAt: 0, endedAt: 1 });
    retry.fail(error);
    expect(otel.span("retry step").status.code).toBe(SpanStatusCode.ERROR);
    expect(otel.span("retry step").attributes[ATTR_TELLTALE_RETRY_COUNT]).toBe(0);
  });
});

describe("LLM call placement by a framework", () => {
  function placeUnder(target: () => { context: Context; modelCall?: ModelCall } | undefined): void {
    cleanups.push(registerLlmCallSiteResolver(() => target()));
  }

  it("starts an SDK call under the framework's run instead of the active context", () => {
    const run = startWorkflowSpan("graph", {}, ROOT_CONTEXT);
    const node = startStepSpan("node", {}, run.context);
    placeUnder(() => ({ context: node.context }));
    const call = startLlmCall(tracer, { provider: "openai", operation: "chat", requestModel: "gpt-4o-mini" });
    call.recordUsage({ inputTokens: 10, outputTokens: 5 });
    call.end();
    node.end();
    run.end();
    const chat = otel.span("chat gpt-4o-mini");
    expect(parentId(chat)).toBe(spanId(otel.span("step node")));
    expect(traceId(chat)).toBe(traceId(otel.span("invoke_agent graph")));
    expect(otel.span("invoke_agent graph").attributes[ATTR_TELLTALE_BUDGET_TOKENS_USED]).toBe(15);
  });

  it("leaves a call with an explicit parent, or without a resolver's answer, where it was", () => {
    placeUnder(() => undefined);
    const outer = tracer.startSpan("outer");
    context.with(trace.setSpan(ROOT_CONTEXT, outer), () => startLlmCall(tracer, { provider: "openai", operation: "chat" }).end());
    outer.end();
    expect(parentId(otel.span("chat"))).toBe(spanId(otel.span("outer")));
  });

  it("makes the SDK calls of a framework's retries the attempts of one model call span", async () => {
    const run = startWorkflowSpan("graph", {}, ROOT_CONTEXT);
    const model = startModelCall({ provider: "openai", operation: "chat", requestModel: "gpt-4o-mini", parentContext: run.context });
    placeUnder(() => ({ context: run.context, modelCall: model }));
    for (const status of [429, 503]) {
      const attempt = startLlmCall(tracer, { provider: "openai", operation: "chat", requestModel: "gpt-4o-mini", serverAddress: "127.0.0.1" });
      attempt.recordAttempt({ statusCode: status, waitMs: 0 });
      attempt.end(Object.assign(new Error(`status ${status}`), { status }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const last = startLlmCall(tracer, { provider: "openai", operation: "chat", requestModel: "gpt-4o-mini" });
    last.recordAttempt({ statusCode: 200, waitMs: 0 });
    last.recordUsage({ inputTokens: 7, outputTokens: 3 });
    last.end();
    expect(otel.spans()).toEqual([]);
    model.recordUsage({ inputTokens: 1000 }); // the framework's own count: ignored once an SDK call reported
    model.end();
    run.end();
    const chat = otel.span("chat gpt-4o-mini");
    expect(otel.spans().filter((span) => span.name.startsWith("chat"))).toHaveLength(1);
    expect(chat.attributes[ATTR_TELLTALE_ATTEMPT_STATUS_CODES]).toEqual([429, 503, 200]);
    expect(chat.attributes[ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES]).toEqual(["rate_limit", "server_error", "ok"]);
    expect(chat.attributes[ATTR_TELLTALE_RETRY_COUNT]).toBe(2);
    const waits = chat.attributes[ATTR_TELLTALE_ATTEMPT_WAITS_MS] as number[];
    expect(waits[0]).toBe(0);
    expect(waits[1]).toBeGreaterThanOrEqual(15);
    expect(waits[2]).toBeGreaterThanOrEqual(15);
    expect(chat.attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBe(7);
    expect(chat.attributes[ATTR_SERVER_ADDRESS]).toBe("127.0.0.1");
    expect(chat.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("ends a model call that failed after its retries with the framework's final error", () => {
    const model = startModelCall({ provider: "anthropic", operation: "chat", parentContext: ROOT_CONTEXT });
    placeUnder(() => ({ context: ROOT_CONTEXT, modelCall: model }));
    const attempt = startLlmCall(tracer, { provider: "anthropic", operation: "chat", requestModel: "claude-x" });
    const error = Object.assign(new Error("rate limited"), { status: 429 });
    attempt.recordAttempt({ statusCode: 429, waitMs: 0, error });
    attempt.end(error);
    model.end(error);
    const chat = otel.span("chat claude-x");
    expect(chat.attributes[ATTR_GEN_AI_REQUEST_MODEL]).toBe("claude-x");
    expect(chat.attributes[ATTR_GEN_AI_PROVIDER_NAME]).toBe("anthropic");
    expect(chat.attributes[ATTR_TELLTALE_ERROR_CLASS]).toBe("rate_limit");
    expect(chat.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("records the provider's error, not the framework's wrapper of it, on a model call whose last SDK call failed", () => {
    const model = startModelCall({ provider: "openai", operation: "chat", requestModel: "m", parentContext: ROOT_CONTEXT });
    placeUnder(() => ({ context: ROOT_CONTEXT, modelCall: model }));
    const attempt = startLlmCall(tracer, { provider: "openai", operation: "chat", requestModel: "m" });
    const providerError = Object.assign(new Error("too long"), { status: 400, code: "context_length_exceeded" });
    attempt.recordAttempt({ statusCode: 400, waitMs: 0, error: providerError });
    attempt.end(providerError);
    model.end(new Error("Error in agent run"));
    expect(otel.span("chat m").attributes[ATTR_TELLTALE_ERROR_CLASS]).toBe("context_length_exceeded");
  });

  it("gives a second SDK call running at the same time its own span, and waits for an open stream to end", () => {
    const model = startModelCall({ provider: "openai", operation: "chat", requestModel: "m", parentContext: ROOT_CONTEXT });
    placeUnder(() => ({ context: model.context, modelCall: model }));
    const first = startLlmCall(tracer, { provider: "openai", operation: "chat", requestModel: "m" });
    const second = startLlmCall(tracer, { provider: "openai", operation: "chat", requestModel: "m" });
    second.end();
    model.end();
    expect(otel.spans().map((span) => span.name)).toEqual(["chat m"]);
    expect(parentId(otel.spans()[0]!)).toBe(model.span.spanContext().spanId);
    first.end();
    expect(otel.spans().map((span) => span.name)).toEqual(["chat m", "chat m"]);
  });

  it("reports the framework's own usage when no instrumented SDK call joined", () => {
    const model = startModelCall({ provider: "google", operation: "chat", requestModel: "gemini", parentContext: ROOT_CONTEXT });
    model.recordUsage({ inputTokens: 12, outputTokens: 4 });
    model.end();
    expect(model.joined).toBe(false);
    expect(otel.span("chat gemini").attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBe(12);
  });

  it("survives a resolver that throws: the call starts where it would have", () => {
    cleanups.push(
      registerLlmCallSiteResolver(() => {
        throw new Error("resolver bug");
      }),
    );
    startLlmCall(tracer, { provider: "openai", operation: "chat" }).end();
    expect(parentId(otel.span("chat"))).toBeUndefined();
  });
});
