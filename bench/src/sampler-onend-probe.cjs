"use strict";
// CPU time per span of the in-process sampler's hot path (onEnd for every span of 20-span traces, then the
// forceFlush that decides and exports them), for two builds of @telltale/sampler loaded side by side, in
// interleaved rounds so that machine noise falls on both alike:
//
//   node bench/src/sampler-onend-probe.cjs <path to build A's index.cjs> <path to build B's index.cjs> [rounds=11]
//
// Prints the median and spread of CPU ns per span (user + system) for each, and the median of B / A per round.

const path = require("node:path");
const { trace, context } = require("@opentelemetry/api");
const { TracerProvider } = require("@opentelemetry/sdk-trace");

const [builtA, builtB] = process.argv.slice(2, 4).map((file) => require(path.resolve(file)));
const ROUNDS = Number(process.argv[4] ?? 11);
const TRACES = 2000;
const SPANS_PER_TRACE = 20;
const discard = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };

/** Ended SDK spans of TRACES agent-shaped traces, children first, as the SDK hands them over. */
function makeSpans() {
  const spans = [];
  const provider = new TracerProvider({ spanProcessors: [{ onStart() {}, onEnd: (span) => spans.push(span), forceFlush: async () => {}, shutdown: async () => {} }] });
  const tracer = provider.getTracer("probe");
  for (let index = 0; index < TRACES; index++) {
    const root = tracer.startSpan("invoke_workflow support", { attributes: { "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "support" } });
    const parent = trace.setSpan(context.active(), root);
    for (let child = 1; child < SPANS_PER_TRACE; child++) {
      const span = tracer.startSpan("chat gpt-4o-mini", { attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": child, "gen_ai.usage.output_tokens": 7 } }, parent);
      span.end();
    }
    root.end();
  }
  return spans;
}

async function measure(sampler, spans) {
  const processor = new sampler.TailSamplingSpanProcessor({ exporter: discard, warningSink: () => {} });
  const start = process.cpuUsage();
  for (const span of spans) processor.onEnd(span);
  await processor.forceFlush();
  const used = process.cpuUsage(start);
  await processor.shutdown();
  return ((used.user + used.system) * 1000) / spans.length;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const spans = makeSpans();
  for (let warm = 0; warm < 3; warm++) {
    await measure(builtA, spans);
    await measure(builtB, spans);
  }
  const a = [];
  const b = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which goes first, so neither always runs on a warmer or colder heap.
    if (round % 2 === 0) {
      a.push(await measure(builtA, spans));
      b.push(await measure(builtB, spans));
    } else {
      b.push(await measure(builtB, spans));
      a.push(await measure(builtA, spans));
    }
  }
  const line = (name, values) => `${name}: median ${Math.round(median(values))} ns/span (${Math.round(Math.min(...values))}-${Math.round(Math.max(...values))})`;
  process.stdout.write(`${line("A", a)}\n${line("B", b)}\nB/A per round, median: ${median(b.map((value, index) => value / a[index])).toFixed(3)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
