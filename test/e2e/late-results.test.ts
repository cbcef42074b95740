/**
 * Late results keep their trace, in both sampling engines (F11). A healthy workflow ends while a task it spawned is
 * still running; both engines decide the trace before that task ends. The workflow span says work was pending
 * (telltale.workflow.pending_tasks) and marks the trace kept, so the late span, arriving after the decision, joins
 * the kept trace next to its parent: in the in-process sampler (through its decision cache) and in a collector
 * running deploy/collector/tail-sampling.yaml unchanged (through the tail-sampling decision cache), into Jaeger.
 *
 * The trace ids are drawn so that the policy's baseline would not keep the trace on its own: only the pending work
 * keeps it. Test-only timing: both engines decide 1 s after the root span (the deploy files wait 10 s).
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, InMemorySpanExporter, TracerProvider, type IdGenerator, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { spawn, step, workflow } from "@telltale/core";
import {
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_WORKFLOW_PENDING_TASKS,
} from "@telltale/core/attributes";
import { createBaselineSampler } from "@telltale/sampler/conformance";
import { parsePolicy, parsePolicyText, TailSamplingSpanProcessor } from "@telltale/sampler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  goBinaries,
  pollUntil,
  REPO_ROOT,
  startJaeger,
  startSamplingCollector,
  TEST_DECISION_TIMING,
  type RunningJaeger,
  type SamplingCollector,
  type StoredTrace,
} from "../support/index.js";

const SERVICE = "e2e-late-results";
const deployPolicy = parsePolicyText(readFileSync(path.join(REPO_ROOT, "deploy/collector/policy.yaml"), "utf8"));
// The in-process engine decides as soon after the root as the test collector does.
const inProcessPolicy = parsePolicy({ buffer: { decisionWaitMs: 1_000 } }, deployPolicy);
const baseline = createBaselineSampler(deployPolicy.baseline.percentage, deployPolicy.baseline.hashSalt);

/** Random ids, but never a trace id the baseline keeps: a kept trace is kept for its pending work alone. */
const unsampledIds: IdGenerator = {
  generateTraceId() {
    for (;;) {
      const traceId = randomBytes(16).toString("hex");
      if (!baseline.keeps(traceId)) return traceId;
    }
  },
  generateSpanId: () => randomBytes(8).toString("hex"),
};

let jaeger: RunningJaeger | undefined;
let collector: SamplingCollector | undefined;
let provider: TracerProvider | undefined;
const keptInProcess = new InMemorySpanExporter();

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
  collector = await startSamplingCollector({ name: "collector-late", jaeger });
  expect(TEST_DECISION_TIMING.decision_wait_after_root_received).toBe("1s");

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": SERVICE }),
    idGenerator: unsampledIds,
    spanProcessors: [
      // Every span to the collector, which samples; the same spans through the in-process sampler.
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${collector.otlpHttpUrl}/v1/traces` }), scheduledDelayMillis: 100 }),
      new TailSamplingSpanProcessor({ exporter: keptInProcess, policy: inProcessPolicy }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
}, 900_000);

afterAll(async () => {
  await provider?.shutdown();
  await collector?.stop();
  await jaeger?.stop();
});

interface Run {
  traceId: string;
  /** Lets the spawned task finish. */
  release: () => void;
  /** Settles when the spawned task has ended. */
  finished: Promise<void>;
}

/** A support agent that answers, then fires off a follow-up it does not wait for. */
async function answerThenFollowUp(): Promise<Run> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let finished!: Promise<void>;
  let traceId = "";
  await workflow("support-agent", { steps: ["answer"] }, async (run) => {
    traceId = run.span.spanContext().traceId;
    await step("answer", () => "Here is your answer.");
    finished = spawn("send-summary", () => released);
  });
  return { traceId, release, finished };
}

function inProcessSpans(traceId: string): ReadableSpan[] {
  return keptInProcess.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
}

function byName<T extends { name: string }>(spans: readonly T[], name: string): T {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`expected one span named ${name}, found ${found.length}`);
  return found[0]!;
}

describe("a result that arrives after the sampling decision", () => {
  let run: Run;
  let decidedInProcess: ReadableSpan[] = [];
  let decidedInCollector: StoredTrace | undefined;

  beforeAll(async () => {
    run = await answerThenFollowUp();
    // Both engines decide while the follow-up is still running.
    decidedInProcess = await pollUntil(
      "the in-process sampler to keep the trace",
      async () => (inProcessSpans(run.traceId).length >= 2 ? inProcessSpans(run.traceId) : undefined),
      { timeoutMs: 60_000 },
    );
    await provider!.forceFlush();
    decidedInCollector = await pollUntil(
      "the collector to keep the trace",
      async () => {
        const stored = await jaeger!.client.getTrace(run.traceId);
        return stored !== undefined && stored.spans.length >= 2 ? stored : undefined;
      },
      { timeoutMs: 60_000 },
    );
    run.release();
    await run.finished;
    await provider!.forceFlush();
  }, 180_000);

  it("was decided without the late span, kept for the work still pending", () => {
    expect(decidedInProcess.map((span) => span.name).sort()).toEqual(["invoke_agent support-agent", "step answer"]);
    expect(decidedInCollector!.spans.map((span) => span.name).sort()).toEqual(["invoke_agent support-agent", "step answer"]);
    const root = byName(decidedInProcess, "invoke_agent support-agent");
    expect(root.attributes[ATTR_TELLTALE_WORKFLOW_PENDING_TASKS]).toBe(1);
    expect(root.attributes[ATTR_TELLTALE_KEEP_REASONS]).toEqual(["late"]);
    expect(baseline.keeps(run.traceId)).toBe(false);
  });

  it("joins the kept trace in the in-process sampler, next to its parent", async () => {
    const spans = await pollUntil(
      "the late span from the in-process sampler",
      async () => (inProcessSpans(run.traceId).length === 3 ? inProcessSpans(run.traceId) : undefined),
      { timeoutMs: 30_000 },
    );
    const late = byName(spans, "spawn send-summary");
    expect(late.attributes[ATTR_TELLTALE_LATE]).toBe(true);
    expect(late.parentSpanContext?.spanId).toBe(byName(spans, "invoke_agent support-agent").spanContext().spanId);
  });

  it("joins the kept trace in the collector, next to its parent, in Jaeger", async () => {
    const stored = await pollUntil(
      "the late span in Jaeger",
      async () => {
        const found = await jaeger!.client.getTrace(run.traceId);
        return found !== undefined && found.spans.length === 3 ? found : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const late = byName(stored.spans, "spawn send-summary");
    expect(late.attributes[ATTR_TELLTALE_LATE]).toBe(true);
    expect(late.parentSpanId).toBe(byName(stored.spans, "invoke_agent support-agent").spanId);
    expect(late.serviceName).toBe(SERVICE);
  });
});
