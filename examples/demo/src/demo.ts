/**
 * The Telltale demo: a research/triage agent, instrumented, runs many workflows concurrently against an embedded mock
 * LLM whose seeded fault script makes them hit every silent failure F1-F15; the in-process tail sampler keeps the
 * traces that went wrong and drops the healthy bulk. Flags: --json, --runs N, --seed N, --real (needs OPENAI_API_KEY).
 */
import { parseArgs } from "node:util";
import { startMockLlm } from "@telltale/mock-llm";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { runTriage, type AgentDeps } from "./agent.js";
import { BASELINE_PERCENTAGE, SLOW_THRESHOLD_MS } from "./policy.js";
import { JobQueue } from "./queue.js";
import { serviceOf } from "./remote-spans.js";
import { findingsOf, renderTree, type EndOrder } from "./report.js";
import { connectRunbooks, RUNBOOK_SERVER } from "./runbooks.js";
import { FAILURE_IDS, FAILURES, FAULTY_SCENARIOS, MOCK_SCENARIOS_SCRIPT, planRuns, type FailureId, type ScenarioKind } from "./scenarios.js";
import { startTelemetry } from "./telemetry.js";

/** Scenarios whose first kept trace is drawn as a tree. */
const TREES_SHOWN: readonly ScenarioKind[] = ["sdk_rate_limited", "subtask_rate_limited", "tight_deadline", "slot_machine", "runbook_unavailable"];

interface CaughtFailure {
  failure: FailureId;
  description: string;
  caught: boolean;
  /** The run's scenario was built to show this failure. */
  targeted?: boolean;
  traceId?: string;
  scenario?: string;
  span?: string;
  detail?: string;
}

export interface DemoSummary {
  mode: "mock" | "real";
  seed: number;
  workflowRuns: number;
  traces: number;
  kept: number;
  dropped: number;
  keptByReason: Record<string, number>;
  /** Healthy runs, and why the kept ones were kept (baseline, or slow on a busy machine). */
  healthy: { runs: number; kept: number; dropped: number; keptByReason: Record<string, number> };
  failures: CaughtFailure[];
  /** The trace of the failed MCP tool call: the agent's client span and the MCP server's span, two processes. */
  crossProcess?: { traceId: string; services: string[]; clientSpan: string; serverSpan: string; serverFinding: string };
  exportedTo: string;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: "boolean", default: false },
      real: { type: "boolean", default: false },
      runs: { type: "string" },
      seed: { type: "string", default: "7" },
    },
  });
  const real = values.real === true;
  if (real && !process.env.OPENAI_API_KEY) {
    console.error("--real needs OPENAI_API_KEY in the environment");
    return 2;
  }
  const seed = Number(values.seed);
  const runs = Number(values.runs ?? (real ? 3 : 60));

  const telemetry = startTelemetry({ slowThresholdMs: SLOW_THRESHOLD_MS, baselinePercentage: BASELINE_PERCENTAGE });
  // Imported after start() (and its ESM loader hook), so @telltale/node's instrumentation patches it, as in any app.
  const { default: OpenAI } = await import("openai");
  // The MCP server the agent looks runbooks up in runs as a child process, instrumented the same way.
  const runbooks = await connectRunbooks();

  const mock = real ? undefined : await startMockLlm({ port: 0, seed, script: MOCK_SCENARIOS_SCRIPT });
  const client = mock
    ? new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: "mock-key", maxRetries: 2 })
    : new OpenAI({ maxRetries: 2 });
  const queue = new JobQueue();
  const scenarioOfTrace = new Map<string, ScenarioKind>();
  const kinds: ScenarioKind[] = real ? Array.from({ length: runs }, () => "healthy") : planRuns(runs, seed);
  const deps: Omit<AgentDeps, "onTrace"> = { client, model: "gpt-4o-mini", queue, runbooks, background: new Set() };

  await Promise.all(
    kinds.map((kind, runId) =>
      runTriage(
        { runId, kind, title: `incident #${runId}: export job fails after upgrade` },
        { ...deps, onTrace: (traceId) => scenarioOfTrace.set(traceId, kind) },
        real,
      ).catch(() => undefined), // the failure is on the trace; the demo goes on
    ),
  );
  // Fire-and-forget work and queued jobs finish after their workflows: wait for them before deciding.
  while (deps.background.size > 0) await Promise.all(deps.background);
  await queue.drain();
  const serverTraces = await runbooks.close();
  await telemetry.flush();
  await mock?.close();
  // The MCP server kept its side of the same traces (one keep policy, the same baseline hash): draw them as one.
  for (const [traceId, spans] of serverTraces) telemetry.recorder.traces.set(traceId, [...(telemetry.recorder.traces.get(traceId) ?? []), ...spans]);

  const reasonsOf = new Map(telemetry.keptTraces().map((trace) => [trace.traceId, trace.reasons]));
  const summary = summarize(telemetry.stats(), telemetry.recorder.traces, telemetry.endOrder, reasonsOf, scenarioOfTrace, {
    mode: real ? "real" : "mock",
    seed,
    workflowRuns: kinds.length,
    exportedTo: telemetry.exportedTo,
  });
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else printSummary(summary, telemetry.recorder.traces, reasonsOf, scenarioOfTrace);
  await telemetry.shutdown();
  const missing = summary.failures.filter((failure) => !failure.caught);
  return !real && missing.length > 0 ? 1 : 0;
}

function summarize(
  stats: ReturnType<ReturnType<typeof startTelemetry>["stats"]>,
  kept: Map<string, ReadableSpan[]>,
  endOrder: EndOrder,
  reasonsOf: Map<string, readonly string[]>,
  scenarioOfTrace: Map<string, ScenarioKind>,
  base: Pick<DemoSummary, "mode" | "seed" | "workflowRuns" | "exportedTo">,
): DemoSummary {
  const keptByReason = Object.fromEntries(
    Object.entries(stats.keptTracesByReason).filter(([, count]) => count > 0).sort(([a], [b]) => a.localeCompare(b)),
  );
  const failures: CaughtFailure[] = FAILURE_IDS.map((failure) => ({ failure, description: FAILURES[failure], caught: false }));
  // Walk the kept traces in a fixed order (faulty scenarios as listed, then the rest), so the same span is named
  // for each failure on every run, whatever order the traces were exported in.
  const order = (traceId: string): number => {
    const index = FAULTY_SCENARIOS.findIndex((scenario) => scenario.kind === scenarioOfTrace.get(traceId));
    return index === -1 ? FAULTY_SCENARIOS.length : index;
  };
  const keptInOrder = [...kept].sort(([a], [b]) => order(a) - order(b));
  for (const [traceId, spans] of keptInOrder) {
    const reasons = reasonsOf.get(traceId) ?? [];
    // In the order the spans ended, not the order they were exported in (see EndOrder).
    for (const span of [...spans].sort(endOrder.compare)) {
      const found = findingsOf(span, SLOW_THRESHOLD_MS);
      // A trace kept as slow names its slowest tool as the place where F13 happened.
      for (const finding of found) {
        if (finding.failure === undefined) continue;
        if (finding.failure === "F13" && !reasons.includes("slow")) continue;
        const entry = failures.find((candidate) => candidate.failure === finding.failure)!;
        const scenario = scenarioOfTrace.get(traceId);
        const targeted = FAULTY_SCENARIOS.some((s) => s.kind === scenario && s.targets === finding.failure);
        // First match wins, except that the scenario built to show this failure wins over a side effect of another.
        if (entry.caught && !(targeted && !entry.targeted)) continue;
        Object.assign(entry, {
          caught: true,
          targeted,
          traceId,
          scenario: scenario ?? "orphaned job (no workflow)",
          span: span.name,
          detail: finding.text,
        });
      }
    }
  }
  const crossProcess = crossProcessTrace(kept, scenarioOfTrace);
  const healthyTraces = [...scenarioOfTrace].filter(([, kind]) => kind === "healthy").map(([traceId]) => traceId);
  const healthyKept = healthyTraces.filter((traceId) => reasonsOf.has(traceId)).length;
  const healthyKeptByReason: Record<string, number> = {};
  for (const traceId of healthyTraces) {
    for (const reason of reasonsOf.get(traceId) ?? []) healthyKeptByReason[reason] = (healthyKeptByReason[reason] ?? 0) + 1;
  }
  return {
    ...base,
    traces: stats.tracesKept + stats.tracesDropped,
    kept: stats.tracesKept,
    dropped: stats.tracesDropped,
    keptByReason,
    healthy: { runs: healthyTraces.length, kept: healthyKept, dropped: healthyTraces.length - healthyKept, keptByReason: healthyKeptByReason },
    failures,
    ...(crossProcess !== undefined && { crossProcess }),
  };
}

/** The kept trace of the failed runbook lookup, with what the MCP server's own span says about it. */
function crossProcessTrace(kept: Map<string, ReadableSpan[]>, scenarioOfTrace: Map<string, ScenarioKind>): DemoSummary["crossProcess"] {
  const traceId = [...scenarioOfTrace].find(([id, kind]) => kind === "runbook_unavailable" && kept.has(id))?.[0];
  if (traceId === undefined) return undefined;
  const spans = kept.get(traceId)!;
  const server = spans.find((span) => serviceOf(span) === RUNBOOK_SERVER && span.kind === SpanKind.SERVER);
  const client = spans.find((span) => span.spanContext().spanId === server?.parentSpanContext?.spanId);
  if (server === undefined || client === undefined) return undefined;
  return {
    traceId,
    services: [...new Set(spans.map((span) => serviceOf(span) ?? "unknown"))].sort(),
    clientSpan: client.name,
    serverSpan: server.name,
    serverFinding: findingsOf(server, SLOW_THRESHOLD_MS).map((finding) => finding.text).join("; "),
  };
}

function printSummary(
  summary: DemoSummary,
  kept: Map<string, ReadableSpan[]>,
  reasonsOf: Map<string, readonly string[]>,
  scenarioOfTrace: Map<string, ScenarioKind>,
): void {
  const out: string[] = [];
  const target = summary.mode === "mock" ? `the embedded mock LLM (seed ${summary.seed})` : "the OpenAI API";
  out.push(`Telltale demo: ${summary.workflowRuns} triage workflow runs, concurrently, against ${target}`);
  out.push("");
  const extra = summary.traces - summary.workflowRuns;
  out.push(
    `traces: ${summary.traces} ran${extra > 0 ? ` (${summary.workflowRuns} workflow runs + ${extra} orphaned job)` : ""}, ` +
      `${summary.kept} kept, ${summary.dropped} dropped`,
  );
  out.push(
    `healthy runs: ${summary.healthy.runs}, ${summary.healthy.dropped} dropped, ` +
      `${summary.healthy.kept} kept (the ${BASELINE_PERCENTAGE}% baseline, or slow on a busy machine)`,
  );
  out.push("");
  out.push("kept traces per reason (a trace can have several):");
  for (const [reason, count] of Object.entries(summary.keptByReason)) out.push(`  ${reason.padEnd(22)} ${count}`);
  out.push("");
  out.push("silent failures caught, each on a kept trace:");
  for (const failure of summary.failures) {
    const where = failure.caught ? `${failure.span}: ${failure.detail}  [${failure.scenario}]` : "NOT CAUGHT";
    out.push(`  ${failure.caught ? "✔" : "✘"} ${failure.failure.padEnd(3)} ${failure.description.padEnd(58)} ${where}`);
  }
  for (const scenario of TREES_SHOWN) {
    const traceId = [...scenarioOfTrace].find(([id, kind]) => kind === scenario && kept.has(id))?.[0];
    if (traceId === undefined) continue;
    const spans = kept.get(traceId)!;
    out.push("");
    out.push(`trace ${traceId}  (scenario ${scenario}; kept for: ${(reasonsOf.get(traceId) ?? []).join(", ")})`);
    for (const line of renderTree(spans, SLOW_THRESHOLD_MS)) out.push(`  ${line}`);
  }
  out.push("");
  out.push(`exported to: ${summary.exportedTo}`);
  console.log(out.join("\n"));
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
