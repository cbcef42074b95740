import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SpanStatusCode } from "@opentelemetry/api";
import { Agent, createMCPListToolsSpan, run, setTraceProcessors, tool, withFunctionSpan, withTrace } from "@openai/agents";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_DEADLINE_REMAINING_MS,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_IDEMPOTENCY_KEY,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_STEP_NAME,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
} from "@telltale/core/attributes";
import { configureAgents, telltaleProcessor, type TelltaleAgentsOptions } from "@telltale/openai-agents";
import { z } from "zod";
import { attr, exporter, idOf, mockLlm, named, only, parentOf, spans, traceOf, until } from "./harness.js";

const lookup = tool({
  name: "lookup",
  description: "Looks an order up",
  parameters: z.object({ id: z.string() }),
  execute: async ({ id }) => (id === "none" ? "" : `order ${id}: shipped`),
});
const failing = tool({
  name: "refund",
  description: "Refunds",
  parameters: z.object({}),
  execute: async () => {
    throw new TypeError("payments backend down");
  },
});
const sendEmail = tool({
  name: "send_email",
  description: "Sends an email",
  parameters: z.object({ to: z.string() }),
  execute: async ({ to }) => `sent to ${to}`,
});

const options: TelltaleAgentsOptions = {
  workflows: { "Agent workflow": { deadlineMs: 60_000 } },
  tools: { send_email: { sideEffect: true, idempotencyKey: (input) => `email:${(input as { to: string }).to}`, timeoutMs: 300_000 } },
};

function agents() {
  const billing = new Agent({ name: "Billing", instructions: "You bill.", model: "gpt-4o-mini" });
  const triage = new Agent({
    name: "Triage",
    instructions: "You triage.",
    model: "gpt-4o-mini",
    tools: [lookup, failing, sendEmail],
    handoffs: [billing],
    inputGuardrails: [
      {
        name: "no_secrets",
        execute: async ({ input }) => ({ outputInfo: {}, tripwireTriggered: JSON.stringify(input).includes("password") }),
      },
    ],
  });
  return { triage, billing };
}

const workflowDone = () => until(() => named("invoke_agent Agent workflow").length > 0, "the workflow span");

beforeEach(() => setTraceProcessors([telltaleProcessor(options)]));
afterEach(async () => {
  exporter.reset();
  (await mockLlm()).reset();
});

describe("an Agents SDK run", () => {
  it("is one trace: the run a workflow, agents nested workflows, turns steps, tools tool spans, one chat span per model call", async () => {
    const mock = await mockLlm();
    const { triage } = agents();
    mock.enqueue(
      { kind: "tool_calls", calls: [{ name: "lookup", arguments: { id: "none" } }, { name: "refund", arguments: {} }] },
      { kind: "tool_calls", calls: [{ name: "transfer_to_Billing", arguments: {} }] },
      { kind: "ok", text: "Billed." },
    );
    const result = await run(triage, "Where is my order?");
    expect(result.finalOutput).toBe("Billed.");
    await workflowDone();

    const workflow = only("invoke_agent Agent workflow");
    expect(new Set(spans().map(traceOf))).toEqual(new Set([traceOf(workflow)]));
    const triageSpan = only("invoke_agent Triage");
    const billingSpan = only("invoke_agent Billing");
    expect(parentOf(triageSpan)).toBe(idOf(workflow));
    expect(parentOf(billingSpan)).toBe(idOf(workflow));
    expect(attr(billingSpan, ATTR_GEN_AI_AGENT_NAME)).toBe("Billing");
    const turns = spans().filter((span) => span.name.startsWith("step turn"));
    expect(turns.map((span) => attr(span, ATTR_TELLTALE_STEP_NAME))).toEqual(["turn 1", "turn 2", "turn 3"]);

    const chats = named("chat gpt-4o-mini");
    expect(chats).toHaveLength(3);
    expect(chats.map(parentOf).sort()).toEqual(turns.map(idOf).sort());
    for (const chat of chats) {
      expect(attr(chat, ATTR_GEN_AI_PROVIDER_NAME)).toBe("openai");
      expect(attr(chat, ATTR_GEN_AI_RESPONSE_ID)).toMatch(/^resp_/);
      expect(attr(chat, ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBeGreaterThan(0);
    }

    const empty = only("execute_tool lookup");
    expect(parentOf(empty)).toBe(idOf(turns[0]!));
    expect(attr(empty, ATTR_GEN_AI_TOOL_TYPE)).toBe("function");
    expect(attr(empty, ATTR_TELLTALE_SOFT_ERROR)).toBe("empty_tool_result");
    expect(attr(empty, ATTR_TELLTALE_DEADLINE_REMAINING_MS)).toBeGreaterThan(0);
    const refund = only("execute_tool refund");
    expect(refund.status.code).toBe(SpanStatusCode.ERROR);
    const handoff = only("step handoff Billing");
    expect(parentOf(handoff)).toBe(idOf(turns[1]!));
    expect(only("step guardrail no_secrets").status.code).toBe(SpanStatusCode.UNSET);
    expect(attr(workflow, ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("ok");
  });

  it("flags a repeated side effect and a tool timeout longer than the time left (F8, F10), options set with configureAgents", async () => {
    const mock = await mockLlm();
    setTraceProcessors([telltaleProcessor()]);
    configureAgents(options);
    const { triage } = agents();
    mock.enqueue(
      { kind: "tool_calls", calls: [{ name: "send_email", arguments: { to: "a@example.com" } }] },
      { kind: "tool_calls", calls: [{ name: "send_email", arguments: { to: "a@example.com" } }] },
      { kind: "ok", text: "Done." },
    );
    await run(triage, "Email me twice");
    await workflowDone();
    const emails = named("execute_tool send_email");
    expect(emails.map((span) => attr(span, ATTR_TELLTALE_IDEMPOTENCY_KEY))).toEqual(["email:a@example.com", "email:a@example.com"]);
    expect(emails.map((span) => attr(span, ATTR_TELLTALE_DUPLICATE))).toEqual([undefined, true]);
    for (const email of emails) expect(attr(email, ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING)).toBe(true);
  });

  it("records a guardrail tripwire as the guardrail_tripwire error class", async () => {
    await mockLlm();
    const { triage } = agents();
    await expect(run(triage, "my password is hunter2")).rejects.toThrow("Input guardrail triggered");
    await workflowDone();
    const guardrail = only("step guardrail no_secrets");
    expect(attr(guardrail, ATTR_TELLTALE_ERROR_CLASS)).toBe("guardrail_tripwire");
    const workflow = only("invoke_agent Agent workflow");
    expect(attr(workflow, ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("error");
    expect(attr(workflow, ATTR_TELLTALE_ERROR_CLASS)).toBe("guardrail_tripwire");
    expect(attr(only("invoke_agent Triage"), ATTR_TELLTALE_ERROR_CLASS)).toBe("guardrail_tripwire");
  });

  it("records a run that hits maxTurns as partial, not as a failure", async () => {
    const mock = await mockLlm();
    const { triage } = agents();
    mock.enqueue({ kind: "tool_calls", calls: [{ name: "lookup", arguments: { id: "1" } }] });
    await expect(run(triage, "Loop", { maxTurns: 1 })).rejects.toThrow("Max turns");
    await workflowDone();
    const workflow = only("invoke_agent Agent workflow");
    expect(attr(workflow, ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("partial");
    expect(attr(workflow, ATTR_TELLTALE_KEEP_REASONS)).toEqual(["partial"]);
    expect(workflow.status.code).toBe(SpanStatusCode.UNSET);
    expect(attr(only("invoke_agent Triage"), ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("partial");
  });

  it("shows the openai client's retries as attempts of the one chat span (F1), and a refused call's class (F2, F3)", async () => {
    const mock = await mockLlm();
    const { billing } = agents();
    mock.enqueue({ kind: "error", error: "rate_limit", retryAfterMs: 5 }, { kind: "ok", text: "ok" });
    await run(billing, "Bill me");
    await workflowDone();
    const chat = only("chat gpt-4o-mini");
    expect(attr(chat, ATTR_TELLTALE_ATTEMPT_STATUS_CODES)).toEqual([429, 200]);
    expect(attr(chat, ATTR_TELLTALE_RETRY_COUNT)).toBe(1);

    exporter.reset();
    mock.enqueue({ kind: "error", error: "context_length_exceeded" });
    await expect(run(billing, "Bill me")).rejects.toThrow();
    await workflowDone();
    const refused = only("chat gpt-4o-mini");
    expect(attr(refused, ATTR_TELLTALE_ERROR_CLASS)).toBe("context_length_exceeded");
    expect(refused.status.code).toBe(SpanStatusCode.ERROR);
    expect(attr(only("invoke_agent Agent workflow"), ATTR_TELLTALE_WORKFLOW_OUTCOME)).toBe("error");
  });

  it("maps the spans an MCP server's tools make: the tool listing a step, an MCP tool call an extension tool span", async () => {
    await withTrace("mcp", async (trace) => {
      const listing = createMCPListToolsSpan({ data: { server: "docs", result: ["search"] } }, trace);
      listing.start();
      listing.end();
      await withFunctionSpan(
        async (span) => {
          span.spanData.input = JSON.stringify({ query: "otel" });
          span.spanData.output = "[]";
        },
        { data: { name: "search", mcp_data: JSON.stringify({ server: "docs" }) } },
      );
    });
    await until(() => named("invoke_agent mcp").length > 0, "the workflow span");
    const workflow = only("invoke_agent mcp");
    expect(parentOf(only("step mcp_tools docs"))).toBe(idOf(workflow));
    const search = only("execute_tool search");
    expect(attr(search, ATTR_GEN_AI_TOOL_TYPE)).toBe("extension");
    expect(attr(search, ATTR_TELLTALE_SOFT_ERROR)).toBe("empty_tool_result");
  });

  it("keeps interleaved runs apart, also when another processor runs first and Telltale sees spans a microtask late", async () => {
    const mock = await mockLlm();
    const slowFirst = {
      onTraceStart: async () => undefined,
      onTraceEnd: async () => undefined,
      onSpanStart: async () => undefined,
      onSpanEnd: async () => undefined,
      shutdown: async () => undefined,
      forceFlush: async () => undefined,
    };
    setTraceProcessors([slowFirst, telltaleProcessor(options)]);
    mock.setScript({ scenarios: { lookup: [{ kind: "tool_calls", delayMs: 10 }, { kind: "ok", delayMs: 5 }] } });
    const { triage } = agents();
    const runs = [0, 1, 2, 3, 4];
    try {
      await Promise.all(runs.map((index) => run(triage, `[scenario:lookup#agents-${index}] order ${index}`)));
    } finally {
      mock.setScript({});
    }
    await until(() => named("invoke_agent Agent workflow").length === runs.length, "every workflow span");
    const workflows = named("invoke_agent Agent workflow");
    expect(new Set(workflows.map(traceOf)).size).toBe(runs.length);
    for (const workflow of workflows) {
      const own = spans().filter((span) => traceOf(span) === traceOf(workflow));
      expect(named("chat gpt-4o-mini", own)).toHaveLength(2);
      expect(named("execute_tool lookup", own)).toHaveLength(1);
      const ids = new Set(own.map(idOf));
      for (const span of own) if (span !== workflow) expect(ids.has(parentOf(span)!)).toBe(true);
    }
  });
});
