"use strict";
// The agent-shaped load of the pipeline benchmark: one triage workflow of three steps (plan, research, answer), with
// three LLM calls through the real `openai` SDK (the answer streamed) and two tools, written once against a
// `structure` (workflow / step / tool) that each line implements its own way (telemetry.cjs). Two workflows in every
// 25 (8 %) fail, each in one of the ways below in turn, so every sample of a multiple of 25 workflows holds the same
// mix.

/** The failures, each one a way Telltale keeps a trace (the signal it keeps it by in brackets). */
const FAULTS = [
  "rate_limit", // the plan call is refused with a 429 once and retried by the SDK (telltale.retry.count)
  "context_length", // the summary call fails with a 400 the SDK does not retry; the workflow throws (error)
  "truncated", // the plan answer stops at the token limit (soft error truncated)
  "refusal", // the model refuses the summary (soft error refusal)
  "tool_error", // one search tool throws; the agent goes on with the other's results (error on the tool span)
  "empty_tool_result", // one search tool returns nothing (soft error empty_tool_result)
  "partial", // the agent skips the answer step of its manifest (workflow outcome partial)
  "stream_aborted", // the agent stops reading the answer stream after three chunks (soft error stream_aborted)
];
const CYCLE = 25;
const FAILING_SLOTS = [7, 19];

/** The fault of workflow `index` (0-based), or undefined for a healthy one. */
function faultOf(index) {
  const slot = FAILING_SLOTS.indexOf(index % CYCLE);
  if (slot === -1) return undefined;
  return FAULTS[(Math.floor(index / CYCLE) * FAILING_SLOTS.length + slot) % FAULTS.length];
}

/**
 * The spans a complete trace of a workflow with `fault` has: the root, the steps and the tools the structure makes
 * (`structureSpans`), and one span per LLM call. A failed summary call ends the workflow before the answer step, and
 * a partial one skips it.
 */
function expectedSpans(fault) {
  const answered = fault !== "context_length" && fault !== "partial";
  const structure = 1 + 2 + 2 + (answered ? 1 : 0); // workflow, plan + research steps, two tools, answer step
  const llmCalls = 2 + (answered ? 1 : 0);
  return structure + llmCalls;
}

const MODEL = "gpt-4o-mini";
const SYSTEM =
  "You are the on-call triage agent of an online shop. Work from the runbooks and the incident history you are given, " +
  "name the most likely cause first, give the evidence for it, and end with the one action the on-call engineer " +
  "should take now. Answer in plain sentences, at most five.";
const QUESTION = "Checkout requests fail with 504 since 09:12 UTC, about 3 % of them; payments look slow. What is going on?";

const RUNBOOKS = [
  { id: "rb-112", title: "Payment provider timeouts", score: 0.91 },
  { id: "rb-087", title: "Connection pool exhaustion", score: 0.84 },
  { id: "rb-203", title: "Checkout latency budget", score: 0.62 },
];
const INCIDENTS = [
  { id: "inc-4411", summary: "Pool shrunk by a config rollout; 504s on checkout", resolved: true },
  { id: "inc-4390", summary: "Provider degraded in eu-west", resolved: true },
];

async function searchRunbooks(empty) {
  await null;
  return empty ? [] : RUNBOOKS.map((runbook) => ({ ...runbook }));
}

async function searchIncidents(failing) {
  await null;
  if (failing) throw new Error("incident index unavailable: 503 from search backend");
  return INCIDENTS.map((incident) => ({ ...incident }));
}

const marker = (fault, ...names) => (names.includes(fault) ? ` [fault:${fault}]` : "");

async function chat(client, step, content) {
  const completion = await client.chat.completions.create({
    model: MODEL,
    messages: [
      { role: "system", content: SYSTEM },
      { role: "user", content: `[step:${step}] ${content}` },
    ],
    max_tokens: 256,
    temperature: 0.2,
  });
  return completion.choices[0]?.message.content ?? "";
}

async function streamAnswer(client, plan, findings, abort) {
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [
      { role: "system", content: SYSTEM },
      { role: "user", content: `[step:answer] ${QUESTION}\nPlan: ${plan}\nFindings: ${findings}` },
    ],
    max_tokens: 256,
    temperature: 0.2,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let chunks = 0;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? "";
    if (abort && ++chunks === 3) break;
  }
  return text;
}

/**
 * Runs workflow `index`. `onTrace(traceId)` is called with the workflow's trace id as soon as it exists (lines without
 * spans never call it). A workflow whose fault makes it throw rejects; no other does.
 */
function runWorkflow({ structure, client }, index, onTrace) {
  const fault = faultOf(index);
  return structure.workflow("triage", ["plan", "research", "answer"], async (traceId) => {
    if (traceId !== undefined) onTrace(traceId);
    const plan = await structure.step("plan", () => chat(client, "plan", `${QUESTION}${marker(fault, "rate_limit", "truncated")}`));
    const findings = await structure.step("research", async () => {
      const [runbooks, incidents] = await Promise.allSettled([
        structure.tool("search_runbooks", () => searchRunbooks(fault === "empty_tool_result")),
        structure.tool("search_incidents", () => searchIncidents(fault === "tool_error")),
      ]);
      const found = JSON.stringify({
        runbooks: runbooks.status === "fulfilled" ? runbooks.value : [],
        incidents: incidents.status === "fulfilled" ? incidents.value : [],
      });
      return chat(client, "summary", `Summarise for on-call: ${found}${marker(fault, "context_length", "refusal")}`);
    });
    if (fault === "partial") return plan; // the answer step of the manifest never runs
    return structure.step("answer", () => streamAnswer(client, plan, findings, fault === "stream_aborted"));
  });
}

module.exports = { FAULTS, CYCLE, faultOf, expectedSpans, runWorkflow };
