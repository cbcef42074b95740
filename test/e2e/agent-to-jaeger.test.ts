/**
 * The user's path end to end: an example agent (the real `openai` SDK, instrumented by
 * @telltale/instrumentation-openai, against @telltale/mock-llm, with @telltale/core's workflow/step/tool/spawn)
 * exports OTLP/HTTP to a collector running deploy/collector/tail-sampling.yaml, which exports to Jaeger. Then the
 * searches a user types find every non-healthy trace; healthy traces beyond the baseline are gone; every kept trace
 * is complete, its late span included.
 *
 * Test-only changes to the deploy config: the decision waits (1 s after the root instead of 10 s) and the slow
 * threshold (1.5 s instead of 30 s), both rendered by @telltale/sampler from the deploy policy.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from "@opentelemetry/sdk-trace";
import {
  spawn,
  step,
  tool,
  workflow,
} from "@telltale/core";
import {
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
} from "@telltale/core/attributes";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import { startMockLlm, type FaultStep, type MockLlm } from "@telltale/mock-llm";
import { createBaselineSampler, decideTrace } from "@telltale/sampler/conformance";
import { parsePolicy, parsePolicyText, renderCollectorConfig } from "@telltale/sampler";
import * as openaiModule from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  delay,
  goBinaries,
  pollUntil,
  REPO_ROOT,
  startJaeger,
  startSamplingCollector,
  type RunningJaeger,
  type SamplingCollector,
  type StoredTrace,
} from "../support/index.js";

const SERVICE = "e2e-agent";
const SLOW_THRESHOLD_MS = 1_500;
const HEALTHY_RUNS = 12;

const deployPolicy = parsePolicyText(readFileSync(path.join(REPO_ROOT, "deploy/collector/policy.yaml"), "utf8"));
const testPolicy = parsePolicy({ rules: { slow: { thresholdMs: SLOW_THRESHOLD_MS } } }, deployPolicy);
const baseline = createBaselineSampler(testPolicy.baseline.percentage, testPolicy.baseline.hashSalt);

type Kind = "healthy" | "failed" | "slow" | "over-budget" | "partial" | "soft-error" | "retried" | "late" | "marker";

interface Run {
  kind: Kind;
  traceId: string;
}

let jaeger: RunningJaeger | undefined;
let collector: SamplingCollector | undefined;
let mock: MockLlm | undefined;
let provider: TracerProvider | undefined;
const localSpans = new InMemorySpanExporter();
const runs: Run[] = [];

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
  collector = await startSamplingCollector({
    name: "collector-agent",
    jaeger,
    tailSampling: { ...renderCollectorConfig(testPolicy) },
  });
  mock = await startMockLlm({ port: 0, seed: 11 });

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": SERVICE }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: `${collector.otlpHttpUrl}/v1/traces` }),
        scheduledDelayMillis: 100,
      }),
      // What the app produced, to check that Jaeger holds every span of each kept trace.
      new SimpleSpanProcessor({ exporter: localSpans }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  const instrumentation = new OpenAIInstrumentation({ enabled: false });
  instrumentation.setTracerProvider(provider);
  instrumentation.manuallyInstrument(openaiModule);

  await runExampleAgent();
  await provider.forceFlush();
}, 900_000);

afterAll(async () => {
  await provider?.shutdown();
  await mock?.close();
  await collector?.stop();
  await jaeger?.stop();
});

/** The example agent: one workflow per request, LLM calls through the real SDK, a tool, fire-and-forget work. */
async function runExampleAgent(): Promise<void> {
  const client = new openaiModule.OpenAI({ apiKey: "sk-e2e", baseURL: `${mock!.url}/v1`, maxRetries: 2 });
  const ask = (question: string) =>
    client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: question }] });

  const request = async (kind: Kind, script: FaultStep[], body: () => Promise<unknown>, options = {}): Promise<void> => {
    mock!.enqueue(...script);
    let traceId = "";
    await workflow(`support-agent ${kind}`, options, async (run) => {
      traceId = run.span.spanContext().traceId;
      await body();
    }).catch(() => undefined); // the failed run throws: the app handles it, the trace records it
    runs.push({ kind, traceId });
  };

  for (let index = 0; index < HEALTHY_RUNS; index++) {
    await request("healthy", [{ kind: "ok", text: "All good." }], async () => {
      await step("answer", () => ask(`question ${index}`));
    }, { steps: ["answer"] });
  }
  await request("failed", [{ kind: "error", error: "invalid_request", message: "bad tool schema" }], () => ask("fail"));
  await request("slow", [{ kind: "ok" }], async () => {
    await ask("slow");
    await tool("search", () => delay(SLOW_THRESHOLD_MS + 300));
  });
  await request("over-budget", [{ kind: "ok", text: "A long answer that uses many tokens." }], () => ask("expensive"), {
    budget: { tokens: 5 },
  });
  await request("partial", [{ kind: "ok" }], async () => {
    await step("plan", () => ask("plan"));
  }, { steps: ["plan", "execute", "report"] });
  await request("soft-error", [{ kind: "truncated", text: "The answer is cut" }], () => ask("truncate me"));
  await request("retried", [{ kind: "error", error: "rate_limit", retryAfterMs: 20 }, { kind: "ok" }], () => ask("retry me"));
  await request("late", [{ kind: "ok" }], async () => {
    await ask("late");
    // Fire-and-forget follow-up whose result arrives after the request ended (F11).
    void spawn("send-summary", () => delay(300));
  });
  await delay(500); // let the late follow-up finish before the marker run
  await request("marker", [{ kind: "error", error: "authentication" }], () => ask("marker"));
}

function runsOf(kind: Kind): Run[] {
  return runs.filter((run) => run.kind === kind);
}

function onlyRun(kind: Kind): Run {
  const [run] = runsOf(kind);
  if (!run) throw new Error(`no ${kind} run`);
  return run;
}

function localTrace(traceId: string): ReadableSpan[] {
  return localSpans.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
}

let storedByTrace: Map<string, StoredTrace | undefined> | undefined;

/** Waits (bounded) for the marker, then for every trace the in-process engine keeps; reads each run's trace once. */
async function stored(): Promise<Map<string, StoredTrace | undefined>> {
  if (storedByTrace) return storedByTrace;
  const client = jaeger!.client;
  await pollUntil("the marker run in Jaeger", async () => ((await client.getTrace(onlyRun("marker").traceId)) ? true : undefined), {
    timeoutMs: 60_000,
  });
  const expectedKept = runs.filter((run) => decideTrace(testPolicy, localTrace(run.traceId)).keep);
  await pollUntil("every kept run complete in Jaeger", async () => {
    const found = await Promise.all(expectedKept.map((run) => client.getTrace(run.traceId)));
    return found.every((t, i) => t?.spans.length === localTrace(expectedKept[i]!.traceId).length) ? true : undefined;
  });
  storedByTrace = new Map();
  for (const run of runs) storedByTrace.set(run.traceId, await client.getTrace(run.traceId));
  return storedByTrace;
}

describe("example agent -> collector (tail sampling) -> Jaeger", () => {
  it("produced the known mix, one trace per run", () => {
    expect(runs.map((run) => run.kind)).toEqual([
      ...Array<Kind>(HEALTHY_RUNS).fill("healthy"),
      "failed",
      "slow",
      "over-budget",
      "partial",
      "soft-error",
      "retried",
      "late",
      "marker",
    ]);
    expect(new Set(runs.map((run) => run.traceId)).size).toBe(runs.length);
  });

  it("keeps every non-healthy trace, complete (late span included), and the collector agrees with the in-process engine", async () => {
    const byTrace = await stored();
    for (const run of runs.filter((candidate) => candidate.kind !== "healthy")) {
      const kept = byTrace.get(run.traceId);
      expect(kept, `${run.kind} trace kept`).toBeDefined();
      const expectedSpanIds = localTrace(run.traceId).map((span) => span.spanContext().spanId).sort();
      expect(kept!.spans.map((span) => span.spanId).sort(), `${run.kind} trace complete`).toEqual(expectedSpanIds);
    }
    const late = byTrace.get(onlyRun("late").traceId)!;
    const lateSpan = late.spans.find((span) => span.name === "spawn send-summary");
    expect(lateSpan?.attributes[ATTR_TELLTALE_LATE]).toBe(true);
    const lateRoot = late.spans.find((span) => span.parentSpanId === "");
    expect(lateSpan?.parentSpanId).toBe(lateRoot?.spanId);

    const collectorDecisions = Object.fromEntries(runs.map((run) => [run.traceId, byTrace.get(run.traceId) !== undefined]));
    const inProcessDecisions = Object.fromEntries(runs.map((run) => [run.traceId, decideTrace(testPolicy, localTrace(run.traceId)).keep]));
    expect(collectorDecisions).toEqual(inProcessDecisions);
  });

  it("drops the healthy traces the baseline does not choose, and keeps those it does", async () => {
    const byTrace = await stored();
    const healthy = runsOf("healthy");
    expect(healthy.map((run) => byTrace.get(run.traceId) !== undefined)).toEqual(healthy.map((run) => baseline.keeps(run.traceId)));
  });

  it("finds each kind of failure with the Jaeger search a user types (README 'Query your traces')", async () => {
    await stored();
    const client = jaeger!.client;
    const search = (tags: Record<string, string>) => client.searchTraceIdsByTags(SERVICE, tags);
    // Every failed call carries telltale.keep=true (recordError): one search for "everything Telltale flagged".
    // (Jaeger 2.13's in-memory storage does not match the UI search `error=true`; see deploy/README.md.)
    expect(await search({ [ATTR_TELLTALE_KEEP]: "true" })).toEqual(
      expect.arrayContaining([onlyRun("failed").traceId, onlyRun("marker").traceId]),
    );
    expect(await search({ [ATTR_TELLTALE_ERROR_CLASS]: "invalid_request" })).toEqual([onlyRun("failed").traceId]);
    expect(await search({ [ATTR_TELLTALE_BUDGET_EXCEEDED]: "true" })).toEqual([onlyRun("over-budget").traceId]);
    expect(await search({ [ATTR_TELLTALE_WORKFLOW_OUTCOME]: "partial" })).toEqual([onlyRun("partial").traceId]);
    expect(await search({ [ATTR_TELLTALE_SOFT_ERROR]: "truncated" })).toEqual([onlyRun("soft-error").traceId]);
    expect(await search({ [ATTR_TELLTALE_RETRY_COUNT]: "1" })).toEqual([onlyRun("retried").traceId]);
    expect(await search({ [ATTR_TELLTALE_LATE]: "true" })).toEqual([onlyRun("late").traceId]);
    const slow = await client.findTraces({ service: SERVICE, durationMin: `${SLOW_THRESHOLD_MS}ms`, numTraces: 100 });
    expect(slow.map((found) => found.traceId)).toEqual([onlyRun("slow").traceId]);
    expect(await client.services()).toEqual(expect.arrayContaining([SERVICE]));
  });
});
