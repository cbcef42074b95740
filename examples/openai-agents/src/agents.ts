/**
 * An OpenAI Agents SDK triage agent: run it with `node --import @telltale/node/register dist/agents.mjs`.
 *
 * Four runs against an embedded mock LLM: a healthy one that hands off to billing, one whose order lookup comes back
 * empty (F5), one that trips the input guardrail, and one cut off by `maxTurns`. Telltale's processor replaces the
 * SDK's exporter to OpenAI here (`setTraceProcessors`), so nothing leaves the process but OpenTelemetry. Prints the
 * traces the in-process sampler kept, as JSON.
 */
import OpenAI from "openai";
import { Agent, run, setDefaultOpenAIClient, setTraceProcessors, tool, withTrace } from "@openai/agents";
import { startMockLlm } from "@telltale/mock-llm";
import { getSdk } from "@telltale/node";
import { telltaleProcessor } from "@telltale/openai-agents";
import { z } from "zod";

// Telltale instead of the SDK's exporter to OpenAI; the options say what the spans cannot: side effects (F8).
setTraceProcessors([
  telltaleProcessor({ tools: { issue_refund: { sideEffect: true, idempotencyKey: (input) => `refund:${(input as { order: string }).order}` } } }),
]);

const lookupOrder = tool({
  name: "lookup_order",
  description: "Looks an order up",
  parameters: z.object({ order: z.string() }),
  execute: async ({ order }) => (order === "404" ? "" : `order ${order}: shipped`),
});
const issueRefund = tool({
  name: "issue_refund",
  description: "Refunds an order",
  parameters: z.object({ order: z.string() }),
  execute: async ({ order }) => `refunded ${order}`,
});
const billing = new Agent({ name: "Billing", instructions: "You handle refunds.", model: "gpt-4o-mini", tools: [issueRefund] });
const triage = new Agent({
  name: "Triage",
  instructions: "You route support requests.",
  model: "gpt-4o-mini",
  tools: [lookupOrder],
  handoffs: [billing],
  inputGuardrails: [
    { name: "no_card_numbers", execute: async ({ input }) => ({ outputInfo: {}, tripwireTriggered: /\d{4} \d{4} \d{4} \d{4}/.test(JSON.stringify(input)) }) },
  ],
});

/** One run in a trace of its own, named `name`; what it threw, by class name. */
async function attempt(name: string, work: () => Promise<unknown>): Promise<string> {
  try {
    await withTrace(name, work);
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.name : "error";
  }
}

async function main(): Promise<void> {
  const mock = await startMockLlm({ port: 0, seed: 2 });
  setDefaultOpenAIClient(new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: "mock" }));
  const outcomes: Record<string, string> = {};

  mock.enqueue(
    { kind: "tool_calls", calls: [{ name: "transfer_to_Billing", arguments: {} }] },
    { kind: "tool_calls", calls: [{ name: "issue_refund", arguments: { order: "7" } }] },
    { kind: "ok", text: "Refunded order 7." },
  );
  outcomes.healthy = await attempt("healthy", () => run(triage, "Please refund order 7"));

  mock.enqueue({ kind: "tool_calls", calls: [{ name: "lookup_order", arguments: { order: "404" } }] }, { kind: "ok", text: "It has shipped." });
  outcomes.emptyLookup = await attempt("empty lookup", () => run(triage, "Where is order 404?"));

  outcomes.guardrail = await attempt("guardrail", () => run(triage, "My card is 4242 4242 4242 4242"));

  mock.enqueue({ kind: "tool_calls", calls: [{ name: "lookup_order", arguments: { order: "1" } }] });
  outcomes.maxTurns = await attempt("max turns", () => run(triage, "Keep checking order 1", { maxTurns: 1 }));

  await mock.close();
  const sdk = getSdk();
  await sdk?.shutdown();
  console.log(JSON.stringify({ outcomes, kept: sdk?.keptTraces() ?? [] }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
