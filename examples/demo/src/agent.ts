import { setTimeout as sleep } from "node:timers/promises";
import type OpenAI from "openai";
import { BudgetExceededError, inject, retry, spawn, step, tool, workflow } from "@telltale/core";
import type { JobQueue } from "./queue.js";
import { UNAVAILABLE_RUNBOOK_SERVICE, type Runbooks } from "./runbooks.js";
import type { ScenarioKind } from "./scenarios.js";

/** The steps a triage run promises to complete; a run that skips one is `partial` (F6). */
export const TRIAGE_STEPS = ["plan", "research", "summarize", "file_ticket"] as const;
export const TOKEN_BUDGET = 4_000;
export const DEADLINE_MS = 10_000;
/** A caller that wants an answer now (a chat UI): its wall-clock budget loses the race against a 30 s tool (F10). */
export const TIGHT_DEADLINE_MS = 1_000;
/** The runbook lookup's own timeout, capped at half the time left: it never races the deadline (F10 is another
 * scenario's). */
const RUNBOOK_TIMEOUT_MS = 2_000;

export interface AgentDeps {
  client: OpenAI;
  model: string;
  queue: JobQueue;
  /** The MCP server (a child process) the agent looks runbooks up in. */
  runbooks: Runbooks;
  /** Fire-and-forget work still running; the demo waits for it before deciding traces. */
  background: Set<Promise<unknown>>;
  /** Called with each run's trace id, so the report can name the scenario of a kept trace. */
  onTrace(traceId: string): void;
}

export interface Incident {
  runId: number;
  kind: ScenarioKind;
  title: string;
}

const SYSTEM_PROMPT = "You are a support triage agent. Plan briefly, research, summarize, then file one ticket.";
/** Stands in for the transcript a runaway refinement loop keeps re-sending (about 750 tokens per call). */
const LONG_CONTEXT = "Customer transcript: the export job fails intermittently after the upgrade. ".repeat(40);

/** Which mock LLM scenario each call site of a run gets (mock-llm reads the `[scenario:NAME#instance]` marker). */
const MOCK_SCENARIOS: Partial<Record<ScenarioKind, Partial<Record<CallSite, string>>>> = {
  sdk_rate_limited: { plan: "sdk_rate_limited" },
  sdk_overloaded: { plan: "sdk_overloaded" },
  subtask_rate_limited: { research: "rate_limit_exhausted" },
  context_too_long: { summarize: "context_too_long" },
  truncated_plan: { plan: "truncated" },
  refused_summary: { summarize: "refusal" },
  filtered_research: { research: "content_filter" },
  slot_machine: { summarize: "flaky_once" },
  abandoned_stream: { summarize: "slow_stream" },
};

type CallSite = "plan" | "research" | "summarize" | "refine";

/** Runs one triage workflow for `incident`; the failures are on its spans, the return value is the ticket id. */
export async function runTriage(incident: Incident, deps: AgentDeps, real: boolean): Promise<string | undefined> {
  const { kind, runId } = incident;
  const marker = (site: CallSite | undefined): string => {
    const scenario = real || site === undefined ? undefined : MOCK_SCENARIOS[kind]?.[site];
    return scenario === undefined ? "" : ` [scenario:${scenario}#run-${runId}]`;
  };
  const chat = async (site: CallSite | undefined, prompt: string, signal: AbortSignal, temperature = 0.2): Promise<string> => {
    const completion = await deps.client.chat.completions.create(
      {
        model: deps.model,
        messages: [
          { role: "system", content: SYSTEM_PROMPT },
          { role: "user", content: `${prompt}${marker(site)}` },
        ],
        max_tokens: 200,
        temperature,
      },
      { signal },
    );
    return completion.choices[0]?.message.content ?? "";
  };

  return workflow(
    "triage",
    {
      steps: TRIAGE_STEPS,
      budget: { tokens: TOKEN_BUDGET, mode: "enforce" },
      deadlineMs: kind === "tight_deadline" ? TIGHT_DEADLINE_MS : DEADLINE_MS,
      conversationId: `incident-${runId}`,
    },
    async ({ span }) => {
      deps.onTrace(span.spanContext().traceId);

      const plan = await step("plan", async ({ signal, remainingMs }) => {
        // The runbook comes from an MCP server in another process. When its store fails, the tool says so in an
        // isError result and the agent plans without it (F5, named on the server's span too).
        const service = kind === "runbook_unavailable" ? UNAVAILABLE_RUNBOOK_SERVICE : "export-worker";
        const remaining = remainingMs() ?? RUNBOOK_TIMEOUT_MS;
        await deps.runbooks.lookup(service, Math.max(1, Math.min(RUNBOOK_TIMEOUT_MS, Math.floor(remaining / 2))));
        return chat("plan", `Plan the triage of: ${incident.title}`, signal);
      });
      const topics = ["logs", "recent deploys", "similar tickets"];

      let researchReturned = (): void => {};
      const afterResearch = new Promise<void>((resolve) => (researchReturned = resolve));
      // The workflow itself outlives the warm-up, however slow the machine: the warm-up is late for its step, not
      // still running when the workflow ends (that would be a different finding, pending work on the root).
      let cacheWarmed: Promise<unknown> = Promise.resolve();
      const findings = await step("research", async ({ signal }) => {
        if (kind === "late_cache_warm") {
          // Nobody awaits the cache warm-up: it finishes after "research" has returned (F11), however long the
          // research takes on a busy machine.
          const warmUp = spawn("warm_cache", () => afterResearch.then(() => sleep(20)));
          track(deps, warmUp);
          cacheWarmed = warmUp.catch(() => undefined);
        }
        // The subtasks fan out concurrently; one failure fails the step, as Promise.all does.
        const results = await Promise.allSettled(
          topics.map(async (topic, index) => {
            const documents = await searchDocs(kind, topic, index);
            if (kind === "tight_deadline" && index === 0) await fetchPage(topic);
            // Only the first subtask meets the scenario's fault.
            const prompt = `Extract the facts about ${topic} from ${documents.length} documents`;
            return chat(index === 0 ? "research" : undefined, prompt, signal);
          }),
        );
        if (results.some((result) => result.status === "rejected")) {
          // What the caller sees is "timeout"; the subtask's span knows it was a rate limit (F2).
          throw Object.assign(new Error("research timed out"), { name: "TimeoutError" });
        }
        return results.map((result) => (result.status === "fulfilled" ? result.value : ""));
      }).finally(researchReturned);

      const summary = await step("summarize", async ({ signal }) => {
        if (kind === "abandoned_stream") return streamSummaryUntilUserLeaves(deps, marker("summarize"), signal);
        // The agent retries anything and nudges the temperature each time: the "slot machine" (F3, F7).
        return retry(
          (attempt) => {
            const args = attempt.recordArgs({ temperature: 0.2 + 0.3 * (attempt.number - 1) });
            return chat("summarize", `Summarize: ${plan} / ${findings.join(" / ")}`, signal, args.temperature);
          },
          { name: "summarize", maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 20, retryOn: () => true },
        );
      });

      if (kind === "runaway_loop") {
        await step("refine", async ({ signal }) => {
          // The refinement loop never converges; only the enforced token budget stops it (F9).
          for (let round = 0; round < 12; round++) {
            try {
              await chat("refine", `Improve the summary (round ${round}): ${summary}\n${LONG_CONTEXT}`, signal);
            } catch (error) {
              if (error instanceof BudgetExceededError) return;
              throw error;
            }
          }
        });
      }

      await cacheWarmed;
      if (kind === "skipped_ticket") return undefined; // the agent decided it was done: "file_ticket" never runs (F6)

      const ticketId = `TCK-${1000 + runId}`;
      await step("file_ticket", async () => {
        const idempotencyKey = `incident-${runId}`;
        await tool("create_ticket", { sideEffect: true, idempotencyKey }, () => ({ id: ticketId }));
        if (kind === "double_ticket") {
          // The first call "felt slow", so the agent filed again: same key, second side effect (F8).
          await tool("create_ticket", { sideEffect: true, idempotencyKey }, () => ({ id: ticketId }));
        }
        if (kind === "notify_without_key") {
          await tool("notify_oncall", { sideEffect: true }, () => ({ paged: "on-call" })); // no key (F8)
        }
        if (kind === "webhook_rejects") {
          // Fire and forget: the rejection lands on the spawn span, not as an unhandled rejection (F12).
          track(
            deps,
            spawn("post_webhook", async () => {
              await sleep(10);
              throw Object.assign(new Error("webhook endpoint returned 502"), { status: 502 });
            }),
          );
        }
      });

      // Indexing happens in a worker: the job carries the trace context (F14), unless the producer forgot it (F12).
      deps.queue.enqueue({ ticketId, summary, ...(kind === "lost_trace_context" ? {} : { trace: inject() }) });
      return ticketId;
    },
  );

  async function searchDocs(scenario: ScenarioKind, topic: string, index: number): Promise<string[]> {
    const empty = scenario === "empty_search" && index === 2;
    const slow = scenario === "slow_tool" && index === 1;
    return tool("search_docs", { timeoutMs: 5_000, type: "datastore" }, async ({ signal }) => {
      await sleep(slow ? 2_000 : 5, undefined, { signal });
      return empty ? [] : [`${topic}: doc-1`, `${topic}: doc-2`]; // an empty result the model will rationalize (F5)
    });
  }

  async function fetchPage(topic: string): Promise<string> {
    // The tool's own 30 s timeout is longer than what is left of the 1 s deadline (F10).
    return tool("fetch_page", { timeoutMs: 30_000 }, async ({ signal }) => {
      await sleep(30_000, undefined, { signal });
      return `page about ${topic}`;
    });
  }
}

/** Streams the summary but stops reading after three chunks: the user closed the tab (F15). */
async function streamSummaryUntilUserLeaves(deps: AgentDeps, marker: string, signal: AbortSignal): Promise<string> {
  const stream = await deps.client.chat.completions.create(
    {
      model: deps.model,
      messages: [{ role: "user", content: `Summarize the incident for the customer${marker}` }],
      stream: true,
      stream_options: { include_usage: true },
    },
    { signal },
  );
  let text = "";
  let chunks = 0;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? "";
    if (++chunks === 3) break;
  }
  return text;
}

function track(deps: AgentDeps, work: Promise<unknown>): void {
  deps.background.add(work);
  void work.finally(() => deps.background.delete(work));
}
