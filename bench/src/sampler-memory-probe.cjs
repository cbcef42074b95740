"use strict";
// Heap held per buffered span by the in-process tail sampler, for agent-shaped traces: a workflow root, steps, LLM
// calls carrying the GenAI attributes (and a retry event on some), and tools. The decision wait is pushed out so every
// trace stays buffered; heap is read after full collections. Run with --expose-gc:
//
//   node --expose-gc bench/src/sampler-memory-probe.cjs [openTraces=2000]
//
// Prints bytes per buffered span (measured heap growth / buffered spans) and the sampler's own byte estimate per
// span, so the estimate that bounds the buffer can be checked against the heap it stands for.

const { trace, context, SpanStatusCode } = require("@opentelemetry/api");
const { TracerProvider } = require("@opentelemetry/sdk-trace");
const { TailSamplingSpanProcessor } = require("@telltale/sampler");

const OPEN_TRACES = Number(process.argv[2] ?? 2000);
const ROUNDS = 3;

const discard = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };

function llmAttributes(index) {
  return {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o-mini",
    "gen_ai.response.model": "gpt-4o-mini-2024-07-18",
    "gen_ai.response.id": `chatcmpl-${index.toString(36).padStart(12, "0")}`,
    "gen_ai.request.max_tokens": 256,
    "gen_ai.request.temperature": 0.2,
    "gen_ai.usage.input_tokens": 120 + (index % 50),
    "gen_ai.usage.output_tokens": 40 + (index % 30),
    "gen_ai.response.finish_reasons": ["stop"],
    "server.address": "api.openai.com",
    "server.port": 443,
    "telltale.cost.usd": 0.000123,
    "telltale.step.name": "plan",
  };
}

function makeTrace(tracer, index) {
  const root = tracer.startSpan("invoke_workflow support", {
    attributes: { "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "support", "telltale.workflow.outcome": "ok" },
  });
  const rootContext = trace.setSpan(context.active(), root);
  for (let step = 0; step < 3; step++) {
    const stepSpan = tracer.startSpan("step plan", { attributes: { "telltale.step.name": "plan" } }, rootContext);
    const stepContext = trace.setSpan(rootContext, stepSpan);
    const llm = tracer.startSpan("chat gpt-4o-mini", { attributes: llmAttributes(index * 3 + step) }, stepContext);
    if (step === 0) llm.addEvent("telltale.attempt", { "telltale.attempt.number": 1, "http.response.status_code": 200 });
    llm.setStatus({ code: SpanStatusCode.UNSET });
    llm.end();
    const tool = tracer.startSpan("execute_tool lookup", {
      attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup", "gen_ai.tool.call.id": `call_${index}_${step}` },
    }, stepContext);
    tool.end();
    stepSpan.end();
  }
  return root; // left running: the trace stays buffered
}

function heapAfterGc() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function main() {
  if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");
  const results = [];
  for (let round = 0; round < ROUNDS; round++) {
    const processor = new TailSamplingSpanProcessor({
      exporter: discard,
      policy: undefined,
      decisionWaitMs: 3_600_000,
      maxTraceAgeMs: 3_600_000,
      maxTraces: OPEN_TRACES * 2,
    });
    const provider = new TracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer("probe");
    const roots = [];
    const before = heapAfterGc();
    for (let index = 0; index < OPEN_TRACES; index++) roots.push(makeTrace(tracer, index));
    const after = heapAfterGc();
    const stats = processor.stats();
    // The running roots are the app's, not the sampler's: subtract what they hold by measuring them alone.
    results.push({ heapBytes: after - before, spans: stats.pendingSpans, estimate: stats.bufferedBytes });
    roots.length = 0;
    await processor.shutdown();
  }
  // Roots alone (the app's running spans), to subtract.
  const provider = new TracerProvider({ spanProcessors: [] });
  const tracer = provider.getTracer("probe");
  const roots = [];
  const before = heapAfterGc();
  for (let index = 0; index < OPEN_TRACES; index++) {
    roots.push(tracer.startSpan("invoke_workflow support", {
      attributes: { "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "support", "telltale.workflow.outcome": "ok" },
    }));
  }
  const rootsBytes = heapAfterGc() - before;
  for (const { heapBytes, spans, estimate } of results) {
    const perSpan = Math.round((heapBytes - rootsBytes) / spans);
    const estimated = estimate === undefined ? "n/a" : Math.round(estimate / spans);
    process.stdout.write(`${OPEN_TRACES} open traces, ${spans} spans buffered: ${perSpan} B/span measured, estimate ${estimated} B/span\n`);
  }
  if (roots.length < 0) process.stdout.write("");
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
