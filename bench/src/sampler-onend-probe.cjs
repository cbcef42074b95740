"use strict";
// CPU time per span of the in-process sampler's hot path (onEnd for every span of 20-span traces, then the
// forceFlush that decides and exports them), for two or more builds of @telltale/sampler:
//
//   node bench/src/sampler-onend-probe.cjs <build A's index.cjs> <build B's index.cjs> [more builds…] [--reps 11] [--rounds 7]
//     [--shape chat|agent] [--live]
//
// Shapes: `chat` (default), 2,000 traces of a root and 19 identical chat spans (two attribute shapes, four
// attributes); `agent`, 4,000 traces of ten spans of four shapes with up to 14 attributes (agent-traces.cjs).
// By default the spans are ended once, before measuring, and the sample is the sampler's own work on them; with
// --live they are started and ended inside the sample, as in an app (the SDK's work is then in every figure: read
// the difference from A).
// Each build runs in its own process (no shared heap, JIT state or garbage), all started side by side and sampled in
// lockstep (samples.cjs): round after round, one sample of each in turn, the order rotated per round, so machine
// noise falls on all alike. A process's own speed differs from the next one's by up to ±10 % on this machine, so a
// repetition starts fresh processes, and the figures are medians over repetitions: per build, CPU ns per span (user +
// system of the whole process, GC threads included), and its ratio to build A (the median over a repetition's
// rounds of sample / A's sample). Check the method with an A/A run (the same build twice) before trusting a ratio.

const { spawn } = require("node:child_process");
const path = require("node:path");
const readline = require("node:readline");

const SPANS_PER_SAMPLE = 40_000;
const WARMUP = 5;

// ---------------------------------------------------------------------------------------------------------------
// Worker: one build, one process
// ---------------------------------------------------------------------------------------------------------------

/** Ends SPANS_PER_SAMPLE spans of `shape` through `tracer`, children before their root, as an app does. */
function endSpans(tracer, shape) {
  const { trace, context } = require("@opentelemetry/api");
  if (shape === "agent") {
    const { makeAgentTrace } = require("./agent-traces.cjs");
    for (let index = 0; index < SPANS_PER_SAMPLE / 10; index++) makeAgentTrace(tracer, index);
    return;
  }
  for (let index = 0; index < SPANS_PER_SAMPLE / 20; index++) {
    const root = tracer.startSpan("invoke_workflow support", { attributes: { "gen_ai.operation.name": "invoke_workflow", "gen_ai.workflow.name": "support" } });
    const parent = trace.setSpan(context.active(), root);
    for (let child = 1; child < 20; child++) {
      const span = tracer.startSpan("chat gpt-4o-mini", { attributes: { "gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": child, "gen_ai.usage.output_tokens": 7 } }, parent);
      span.end();
    }
    root.end();
  }
}

async function worker(build, rounds, shape, live) {
  const sampler = require(path.resolve(build));
  const { TracerProvider } = require("@opentelemetry/sdk-trace");
  const { takeSamples } = require("./samples.cjs");
  const discard = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
  const newProcessor = () => new sampler.TailSamplingSpanProcessor({ exporter: discard, warningSink: () => {} });
  // Pre-made: the spans are ended once, before measuring, and handed to onEnd in the measured loop (the sampler's
  // own work only; the spans are old by then, as they never are in an app). Live: the spans are started and ended
  // through a TracerProvider inside the measured loop, as an app does (the SDK's own work is in every build's figure).
  let spans = [];
  if (!live) {
    const collect = { onStart() {}, onEnd: (span) => spans.push(span), forceFlush: async () => {}, shutdown: async () => {} };
    endSpans(new TracerProvider({ spanProcessors: [collect] }).getTracer("probe"), shape);
  }
  const measure = async () => {
    const processor = newProcessor();
    const tracer = live ? new TracerProvider({ spanProcessors: [processor] }).getTracer("probe") : undefined;
    const start = process.cpuUsage();
    if (tracer !== undefined) endSpans(tracer, shape);
    else for (const span of spans) processor.onEnd(span);
    await processor.forceFlush();
    const used = process.cpuUsage(start);
    await processor.shutdown();
    return ((used.user + used.system) * 1000) / SPANS_PER_SAMPLE;
  };
  for (let warm = 0; warm < WARMUP; warm++) await measure();
  await takeSamples({ lockstep: true, samples: rounds }, measure);
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: start one worker per build, sample them in lockstep
// ---------------------------------------------------------------------------------------------------------------

/** A worker process and a reader of its JSON lines. */
function startWorker(build, rounds, shape, live) {
  const child = spawn(process.execPath, [...process.execArgv, __filename, "--worker", build, String(rounds), shape, live ? "live" : "pre-made"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`worker for ${build} ended early`);
    return JSON.parse(line.value);
  };
  return { build, child, next };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** One repetition: a fresh process per build, `rounds` samples in lockstep. Returns each build's samples. */
async function repetition(builds, rounds, rep, shape, live) {
  const workers = builds.map((build) => startWorker(build, rounds, shape, live));
  try {
    for (const worker of workers) await worker.next(); // {"ready":true}
    const samples = workers.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let turn = 0; turn < workers.length; turn++) {
        const index = (rep + round + turn) % workers.length;
        workers[index].child.stdin.write("sample\n");
        samples[index].push((await workers[index].next()).sample);
      }
    }
    for (const worker of workers) worker.child.stdin.end();
    return samples;
  } catch (error) {
    for (const worker of workers) worker.child.kill();
    throw error;
  }
}

async function parent(builds, reps, rounds, shape, live) {
  // Per build and repetition: the median ns/span, and the medians over rounds of the ratio to and the difference
  // from build A's sample.
  const perRep = builds.map(() => ({ ns: [], ratio: [], difference: [] }));
  for (let rep = 0; rep < reps; rep++) {
    const samples = await repetition(builds, rounds, rep, shape, live);
    builds.forEach((_build, index) => {
      perRep[index].ns.push(median(samples[index]));
      perRep[index].ratio.push(median(samples[index].map((value, round) => value / samples[0][round])));
      perRep[index].difference.push(median(samples[index].map((value, round) => value - samples[0][round])));
    });
  }
  const range = (values, digits) => `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
  const lines = builds.map((build, index) => {
    const { ns, ratio, difference } = perRep[index];
    return `${String.fromCharCode(65 + index)} ${build}: ${Math.round(median(ns))} ns/span (${range(ns, 0)}), ` +
      `ratio to A ${median(ratio).toFixed(3)} (${range(ratio, 3)}), minus A ${Math.round(median(difference))} ns (${range(difference, 0)})`;
  });
  process.stdout.write(
    `${reps} repetitions (fresh processes) x ${rounds} rounds, ${SPANS_PER_SAMPLE} ${shape}-shaped ${live ? "live" : "pre-made"} spans per sample; ` +
      `medians over repetitions (min-max)\n${lines.join("\n")}\n`,
  );
}

function option(args, name, fallback) {
  const at = args.indexOf(name);
  if (at === -1) return fallback;
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--worker") return worker(args[1], Number(args[2]), args[3], args[4] === "live");
  const liveAt = args.indexOf("--live");
  const live = liveAt !== -1;
  if (live) args.splice(liveAt, 1);
  const reps = Number(option(args, "--reps", 11));
  const rounds = Number(option(args, "--rounds", 7));
  const shape = option(args, "--shape", "chat");
  if (args.length < 2 || !["chat", "agent"].includes(shape)) {
    throw new Error("usage: sampler-onend-probe.cjs <build A index.cjs> <build B index.cjs> [...] [--reps N] [--rounds N] [--shape chat|agent] [--live]");
  }
  return parent(args, reps, rounds, shape, live);
}

Promise.resolve(main()).catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
