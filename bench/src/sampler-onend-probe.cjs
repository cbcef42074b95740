"use strict";
// CPU time per span of the in-process sampler's hot path (onEnd for every span of 20-span traces, then the
// forceFlush that decides and exports them), for two or more builds of @telltale/sampler:
//
//   node bench/src/sampler-onend-probe.cjs <build A's index.cjs> <build B's index.cjs> [more builds…] [--reps 11] [--rounds 7]
//     [--shape chat|agent]
//
// Shapes: `chat` (default), 2,000 traces of a root and 19 identical chat spans (two attribute shapes, four
// attributes); `agent`, 4,000 traces of ten spans of four shapes with up to 14 attributes (agent-traces.cjs).
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

/** Ended SDK spans of SPANS_PER_SAMPLE spans, children first, as the SDK hands them over. */
function makeSpans(shape) {
  const { trace, context } = require("@opentelemetry/api");
  const { TracerProvider } = require("@opentelemetry/sdk-trace");
  const spans = [];
  const collect = { onStart() {}, onEnd: (span) => spans.push(span), forceFlush: async () => {}, shutdown: async () => {} };
  const tracer = new TracerProvider({ spanProcessors: [collect] }).getTracer("probe");
  if (shape === "agent") {
    const { makeAgentTrace } = require("./agent-traces.cjs");
    for (let index = 0; spans.length < SPANS_PER_SAMPLE; index++) makeAgentTrace(tracer, index);
    return spans;
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
  return spans;
}

async function worker(build, rounds, shape) {
  const sampler = require(path.resolve(build));
  const { takeSamples } = require("./samples.cjs");
  const spans = makeSpans(shape);
  const discard = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
  const measure = async () => {
    const processor = new sampler.TailSamplingSpanProcessor({ exporter: discard, warningSink: () => {} });
    const start = process.cpuUsage();
    for (const span of spans) processor.onEnd(span);
    await processor.forceFlush();
    const used = process.cpuUsage(start);
    await processor.shutdown();
    return ((used.user + used.system) * 1000) / spans.length;
  };
  for (let warm = 0; warm < WARMUP; warm++) await measure();
  await takeSamples({ lockstep: true, samples: rounds }, measure);
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: start one worker per build, sample them in lockstep
// ---------------------------------------------------------------------------------------------------------------

/** A worker process and a reader of its JSON lines. */
function startWorker(build, rounds, shape) {
  const child = spawn(process.execPath, [...process.execArgv, __filename, "--worker", build, String(rounds), shape], {
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
async function repetition(builds, rounds, rep, shape) {
  const workers = builds.map((build) => startWorker(build, rounds, shape));
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

async function parent(builds, reps, rounds, shape) {
  // Per build and repetition: the median ns/span, and the median over rounds of the ratio to build A's sample.
  const perRep = builds.map(() => ({ ns: [], ratio: [] }));
  for (let rep = 0; rep < reps; rep++) {
    const samples = await repetition(builds, rounds, rep, shape);
    builds.forEach((_build, index) => {
      perRep[index].ns.push(median(samples[index]));
      perRep[index].ratio.push(median(samples[index].map((value, round) => value / samples[0][round])));
    });
  }
  const range = (values, digits) => `${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)}`;
  const lines = builds.map((build, index) => {
    const { ns, ratio } = perRep[index];
    return `${String.fromCharCode(65 + index)} ${build}: ${Math.round(median(ns))} ns/span (${range(ns, 0)}), ` +
      `ratio to A ${median(ratio).toFixed(3)} (${range(ratio, 3)})`;
  });
  process.stdout.write(
    `${reps} repetitions (fresh processes) x ${rounds} rounds, ${SPANS_PER_SAMPLE} ${shape}-shaped spans per sample; ` +
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
  if (args[0] === "--worker") return worker(args[1], Number(args[2]), args[3]);
  const reps = Number(option(args, "--reps", 11));
  const rounds = Number(option(args, "--rounds", 7));
  const shape = option(args, "--shape", "chat");
  if (args.length < 2 || !["chat", "agent"].includes(shape)) {
    throw new Error("usage: sampler-onend-probe.cjs <build A index.cjs> <build B index.cjs> [...] [--reps N] [--rounds N] [--shape chat|agent]");
  }
  return parent(args, reps, rounds, shape);
}

Promise.resolve(main()).catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
