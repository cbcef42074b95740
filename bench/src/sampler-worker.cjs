"use strict";
// One process = one span processor. Spans go through a real 3.x TracerProvider, in traces of 20 spans (a root and
// 19 children), ended in the order an agent ends them (children first). Each sample ends with forceFlush(), so the
// deferred work (batching, the tail sampler's decision and export) is inside the measured time for both processors.
//
// argv[2]: JSON { processor: "none" | "batch" | "tail", warmup, samples, tracesPerSample, lockstep? } (samples.cjs)
//       or JSON { processor: "tail-memory", openTraces }   (run with --expose-gc)

const { trace, context } = require("@opentelemetry/api");
const { BatchSpanProcessor, TracerProvider } = require("@opentelemetry/sdk-trace");
const { TailSamplingSpanProcessor } = require("@telltale/sampler");
const { countingExporter } = require("./tracing.cjs");
const { takeSamples } = require("./samples.cjs");

const SPANS_PER_TRACE = 20;

function makeProcessor(kind, overrides) {
  switch (kind) {
    case "none":
      return undefined;
    case "batch":
      return new BatchSpanProcessor({ exporter: countingExporter, maxQueueSize: 1 << 20, maxExportBatchSize: 512 });
    case "tail":
    case "tail-memory":
      // The default policy: keep failures, 5 % baseline of healthy traces.
      return new TailSamplingSpanProcessor({ exporter: countingExporter, ...overrides });
    default:
      throw new Error(`unknown processor ${kind}`);
  }
}

function makeTraces(tracer, count) {
  for (let traceIndex = 0; traceIndex < count; traceIndex++) {
    const root = tracer.startSpan("invoke_agent bench", { attributes: { "gen_ai.operation.name": "invoke_agent" } });
    const parent = trace.setSpan(context.active(), root);
    for (let child = 1; child < SPANS_PER_TRACE; child++) {
      const span = tracer.startSpan("step work", { attributes: { "telltale.step.name": "work" } }, parent);
      span.setAttribute("gen_ai.usage.input_tokens", child);
      span.end();
    }
    root.end();
  }
}

async function throughput(options) {
  const processor = makeProcessor(options.processor);
  const provider = new TracerProvider({ spanProcessors: processor ? [processor] : [] });
  const tracer = provider.getTracer("telltale-bench");
  const flush = () => (processor ? processor.forceFlush() : Promise.resolve());
  for (let sample = 0; sample < options.warmup; sample++) {
    makeTraces(tracer, options.tracesPerSample);
    await flush();
  }
  countingExporter.reset();
  const { values: perSpanUs, taken } = await takeSamples(
    options,
    async () => {
      makeTraces(tracer, options.tracesPerSample);
      await flush();
    },
    options.tracesPerSample * SPANS_PER_TRACE,
  );
  const perSpanNs = perSpanUs.map((value) => value * 1000);
  const spans = taken * options.tracesPerSample * SPANS_PER_TRACE;
  const result = { processor: options.processor, perSpanNs, spans, spansExported: countingExporter.spans };
  if (processor && typeof processor.stats === "function") {
    const stats = processor.stats();
    result.tracesKept = stats.tracesKept;
    result.tracesDropped = stats.tracesDropped;
  }
  await provider.shutdown();
  return result;
}

/** Heap held by `openTraces` decided-later traces of 20 ended spans each (the decision wait is pushed far out). */
async function memory(options) {
  if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
  const processor = makeProcessor("tail-memory", {
    decisionWaitMs: 600_000,
    maxTraceAgeMs: 600_000,
    maxTraces: options.openTraces * 2,
  });
  const provider = new TracerProvider({ spanProcessors: [processor] });
  const tracer = provider.getTracer("telltale-bench");
  makeTraces(tracer, 50); // load and optimise the code paths before the baseline
  await processor.forceFlush();
  const settle = () => {
    for (let round = 0; round < 3; round++) globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  const before = settle();
  makeTraces(tracer, options.openTraces);
  const after = settle();
  const buffered = processor.stats();
  const result = {
    processor: "tail",
    openTraces: options.openTraces,
    spansBuffered: options.openTraces * SPANS_PER_TRACE,
    heapDeltaMb: (after - before) / 1048576,
    bytesPerSpan: (after - before) / (options.openTraces * SPANS_PER_TRACE),
    tracesDecidedWhileBuffering: buffered.tracesKept + buffered.tracesDropped,
  };
  await provider.shutdown();
  return result;
}

async function main() {
  const options = JSON.parse(process.argv[2] ?? "{}");
  const result = options.processor === "tail-memory" ? await memory(options) : await throughput(options);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
