"use strict";
// Heap held per buffered span by the in-process tail sampler, for agent-shaped traces: a workflow root, steps, LLM
// calls carrying the GenAI attributes (and a retry event on some), and tools. The decision wait is pushed out so every
// trace stays buffered; heap is read after full collections. Run with --expose-gc:
//
//   node --expose-gc bench/src/sampler-memory-probe.cjs [openTraces=2000] [build's index.cjs, default @telltale/sampler]
//
// Prints bytes per buffered span (measured heap growth / buffered spans) and the sampler's own byte estimate per
// span, so the estimate that bounds the buffer can be checked against the heap it stands for.

const { TracerProvider } = require("@opentelemetry/sdk-trace");
const path = require("node:path");
const { TailSamplingSpanProcessor } = require(process.argv[3] ? path.resolve(process.argv[3]) : "@telltale/sampler");
const { makeAgentTrace, ROOT_ATTRIBUTES } = require("./agent-traces.cjs");

const OPEN_TRACES = Number(process.argv[2] ?? 2000);
const ROUNDS = 3;

const discard = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };

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
    for (let index = 0; index < OPEN_TRACES; index++) roots.push(makeAgentTrace(tracer, index, false)); // left running: the trace stays buffered
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
    roots.push(tracer.startSpan("invoke_workflow support", { attributes: ROOT_ATTRIBUTES }));
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
