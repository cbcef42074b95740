#!/usr/bin/env node
// `pnpm bench`: what Telltale costs, side by side with the instrumentations users would pick instead: an agent's
// workflows through each one's whole export path (the pipeline section), each LLM call, the tail sampler against a
// plain BatchSpanProcessor, core's wrappers against bare spans, MCP calls.
//
// Every measurement runs in its own child process (process.execPath), one variant per process, and every figure is
// the process's CPU time (src/samples.cjs). A repetition starts the variants of one comparison together and takes
// their samples in lockstep: round after round, one sample of each variant in turn, in an order shuffled per round
// (src/lockstep.mjs). Each ratio and difference is taken sample by sample within a round, then the median over the
// rounds of a repetition. A repetition's value is the median of its samples, a line's value the median of its
// repetitions, with the min–max over repetitions. The A/A check (--aa) runs a twin of a line to show how far that
// method can be off.
//
//   node bench/run.mjs                     full run, writes bench/results/results.json and results.md (ignored by git),
//                                          and the generated parts of docs/performance.md and README.md
//   node bench/run.mjs --quick             a few iterations per variant: checks the wiring, numbers mean nothing
//   --sections pipeline,llm,sampler,core,aisdk,mcp
//                                          only these sections (pipeline: an agent's workflows through each line's
//                                          whole export path to a live OTLP receiver; aisdk: generateText of ai 7
//                                          over an in-process model, bare against Telltale, its telemetry off and on)
//   --lines telltale,otel                  only these pipeline lines (the bare line is added)
//   --variants bare@7,telltale@7           only these LLM variants (their bare lines are added)
//   --aa telltale,telltale@6               the A/A check: a twin of this pipeline line and of this LLM variant runs as
//                                          a line of its own, and the twin's ratio to it is reported (default as
//                                          shown; none leaves it out)
//   --modes plain                          only these LLM modes (plain, stream; default both)
//   --reps N                               repetitions (default 11)
//   --pipeline-reps N                      repetitions of the pipeline section (default: --reps); it takes ~20 times
//                                          as long per repetition as the others
//   --cheapest-reps N                      repetitions of the dedicated run against the cheapest other instrumentation (default 40;
//                                          0 leaves it out; see runAgainstCheapestAnchor)
//   --out DIR                              where results.json / results.md go instead (default: bench/results/);
//                                          a run with --out, or --quick, leaves the docs alone
//   --note TEXT                            a sentence on the machine's state during the run, printed under Machine
//   --render                               re-render results.md (and the docs) from results.json, without measuring
//   --cpu-prof VARIANT[:plain|stream]      profile one LLM variant (writes bench/profiles/*.cpuprofile) and summarise it
//   --alloc-prof VARIANT[:plain|stream]    bytes allocated per call by function (bench/profiles/*.heapprofile)

import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runLockstep, runWorker } from "./src/lockstep.mjs";
import { pipelineGroup, summariseAa, summarisePipeline } from "./src/pipeline/section.mjs";
import { summariseAllocations, summariseProfile } from "./src/profile-summary.mjs";
import { writeDocs } from "./src/docs.mjs";
import { evaluateTargets } from "./src/targets.mjs";
import { renderMarkdown } from "./src/report.mjs";
import { medianConfidenceInterval, spreadOf, median } from "./src/stats.mjs";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { LLM_VARIANTS, INSTRUMENTATION_PACKAGES } = require("./src/variants.cjs");
const { LINES: PIPELINE_LINES } = require("./src/pipeline/telemetry.cjs");

const args = parseArgs(process.argv.slice(2));
const quick = args.quick === true;
const reps = Number(args.reps ?? (quick ? 1 : 11));
const pipelineReps = Number(args["pipeline-reps"] ?? reps);
const anchorReps = Number(args["cheapest-reps"] ?? (quick ? 1 : 40));
const sections = new Set(String(args.sections ?? "pipeline,llm,sampler,core,aisdk,mcp").split(","));
const aaTargets = new Set(String(args.aa ?? "telltale,telltale@6").split(",").filter((name) => name !== "none"));
const llmModes = String(args.modes ?? "plain,stream")
  .split(",")
  .filter((mode) => mode === "plain" || mode === "stream");
const outDir = path.resolve(String(args.out ?? path.join(benchDir, "results")));
/** Only a full run into the default place writes the docs: a side run or a wiring check never does. */
const writesDocs = args.out === undefined;
const repoRoot = path.resolve(benchDir, "..");

/** Iteration counts: the full run is sized to finish in ~5 minutes on 2 cores; --quick only checks the wiring. */
const SIZES = quick
  ? {
      llm: { plain: { warmup: 5, samples: 2, callsPerSample: 5 }, stream: { warmup: 2, samples: 2, callsPerSample: 3 } },
      pipeline: { warmup: 20, samples: 2, workflowsPerSample: 25, healthyChecked: 25, settleMs: 0 },
      sampler: { warmup: 1, samples: 2, tracesPerSample: 10 },
      memoryTraces: [100],
      core: { warmup: 10, samples: 2, opsPerSample: 20 },
      aisdk: { warmup: 10, samples: 2, callsPerSample: 10 },
      mcp: { warmup: 10, samples: 2, callsPerSample: 10 },
    }
  : {
      llm: {
        plain: { warmup: 1500, samples: 12, callsPerSample: 400 },
        stream: { warmup: 400, samples: 12, callsPerSample: 100 },
      },
      // settleMs: warm-up rounds go on that long, past the tail sampler's 10 s decision wait, so that the measured
      // rounds see its buffer, its decisions and its exports in their steady state.
      pipeline: { warmup: 300, samples: 10, workflowsPerSample: 400, healthyChecked: 200, settleMs: 12_000 },
      sampler: { warmup: 8, samples: 15, tracesPerSample: 250 },
      memoryTraces: [1_000, 10_000],
      core: { warmup: 3000, samples: 12, opsPerSample: 2000 },
      aisdk: { warmup: 500, samples: 12, callsPerSample: 200 },
      mcp: { warmup: 2000, samples: 12, callsPerSample: 300 },
    };

async function main() {
  if (args.render) {
    // Re-render results.md and the docs from results.json (after a change to the tables), without measuring again.
    const results = JSON.parse(readFileSync(path.join(outDir, "results.json"), "utf8"));
    if (results.llm) addRatiosToFloor(results.llm);
    if (args.note !== undefined) results.environment.note = String(args.note);
    results.targets = evaluateTargets(results);
    writeResults(results);
    return;
  }
  if (args["cpu-prof"]) {
    await profile(String(args["cpu-prof"]));
    return;
  }
  if (args["alloc-prof"]) {
    await allocationProfile(String(args["alloc-prof"]));
    return;
  }
  const startedAt = Date.now();
  // The 1-minute load average every 30 s: what else the machine was running while the samples were taken.
  const loadSamples = [os.loadavg()[0]];
  const loadTimer = setInterval(() => loadSamples.push(os.loadavg()[0]), 30_000);
  loadTimer.unref();
  const llmVariants = selectLlmVariants();
  const jobs = [];
  if (sections.has("llm")) {
    for (const mode of llmModes) {
      for (const variant of llmVariants) {
        jobs.push({ section: "llm", key: `${mode}/${variant}`, worker: "llm-worker.cjs", options: { variant, mode, ...SIZES.llm[mode] } });
      }
    }
  }
  if (sections.has("sampler")) {
    for (const processor of ["none", "batch", "tail"]) {
      jobs.push({ section: "sampler", key: processor, worker: "sampler-worker.cjs", options: { processor, ...SIZES.sampler } });
    }
  }
  if (sections.has("core")) {
    for (const op of ["workflow", "step", "tool"]) {
      for (const impl of ["bare", "core"]) {
        jobs.push({ section: "core", key: `${op}/${impl}`, worker: "core-worker.cjs", options: { op, impl, ...SIZES.core } });
      }
    }
  }

  if (sections.has("aisdk")) {
    for (const [instrumentation, aiTelemetry] of AI_SDK_VARIANTS) {
      const options = { instrumentation, aiTelemetry, ...SIZES.aisdk };
      jobs.push({ section: "aisdk", key: `${instrumentation}/${aiTelemetry}`, worker: "ai-sdk-worker.cjs", options });
    }
  }
  if (sections.has("mcp")) {
    // tools/call over the in-memory transport, client and server in one process: bare against both sides instrumented.
    for (const sdk of ["v1", "v2"]) {
      for (const impl of ["bare", "telltale"]) {
        jobs.push({ section: "mcp", key: `${sdk}/${impl}`, worker: "mcp-worker.cjs", options: { sdk, impl, ...SIZES.mcp } });
      }
    }
  }

  // One comparison per group: the jobs whose samples are paired round by round.
  const groups = [];
  const pipelineLines = selectPipelineLines();
  if (sections.has("pipeline")) {
    const group = await pipelineGroup(pipelineLines, SIZES.pipeline);
    groups.push(group);
    jobs.push(...group.jobs);
  }
  for (const job of jobs) {
    if (job.section === "pipeline") continue; // its group is built above
    const name = job.section === "llm" ? `llm/${job.options.mode}` : job.section;
    const group = groups.find((candidate) => candidate.name === name);
    if (group) group.jobs.push(job);
    else groups.push({ name, jobs: [job] });
  }
  const runs = new Map(jobs.map((job) => [job.key + "@" + job.section, []]));
  try {
    for (let rep = 0; rep < Math.max(reps, pipelineReps); rep++) {
      // Rotate the order every repetition so no comparison always runs first (cold machine) or last.
      const order = groups.map((_, index) => groups[(index + rep) % groups.length]);
      for (const group of order) {
        if (rep >= (group.name === "pipeline" ? pipelineReps : reps)) continue;
        const results = group.runRep ? await group.runRep(rep) : await runLockstep(group.jobs, rep);
        group.jobs.forEach((job, index) => {
          runs.get(job.key + "@" + job.section).push(results[index]);
          process.stderr.write(`rep ${rep + 1}/${reps} ${job.section} ${job.key}: ${headline(results[index])}\n`);
        });
      }
    }
  } finally {
    // The pipeline's receiver runs until here, whatever happened.
    for (const group of groups) group.close?.();
  }

  const llm = sections.has("llm") ? summariseLlm(runs, llmVariants.filter((variant) => !variant.endsWith("~aa"))) : undefined;
  const llmAa = sections.has("llm") ? summariseLlmAa(runs, llmVariants) : undefined;
  const anchorRun = llm?.plain && anchorReps > 0 ? await runAgainstCheapestAnchor(llm.plain) : undefined;

  const memory = [];
  if (sections.has("sampler")) {
    for (const openTraces of SIZES.memoryTraces) {
      memory.push(await runWorker("sampler-worker.cjs", { processor: "tail-memory", openTraces }, ["--expose-gc"]));
    }
  }

  const results = {
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    quick,
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    environment: { ...environment(), loadDuringRun: loadDuring(loadSamples), note: args.note === undefined ? null : String(args.note) },
    config: { reps, pipelineReps, anchorReps, sizes: SIZES },
    pipeline: sections.has("pipeline") ? summarisePipeline(runs, pipelineLines) : undefined,
    llm,
    llmAa,
    anchorRun,
    sampler: sections.has("sampler") ? summariseSampler(runs, memory) : undefined,
    core: sections.has("core") ? summariseCore(runs) : undefined,
    aiSdk: sections.has("aisdk") ? summariseAiSdk(runs) : undefined,
    mcp: sections.has("mcp") ? summariseMcp(runs) : undefined,
  };
  try {
    results.targets = evaluateTargets(results);
  } catch (error) {
    // The measurements are written whatever happens; `--render` evaluates the targets again.
    process.stderr.write(`targets: ${error.stack ?? error}\n`);
  }
  writeResults(results);
  // The machine, Node and package versions and every table, on the terminal too.
  process.stdout.write(renderMarkdown(results));
}

/** results.json and results.md into the output folder; the docs too, from a full run into the default place. */
function writeResults(results) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, "results.md"), renderMarkdown(results));
  const docs = writesDocs && !results.quick;
  if (docs) writeDocs(results, repoRoot);
  process.stderr.write(`wrote ${path.join(outDir, "results.json")} and results.md${docs ? ", docs/performance.md and README.md" : ""}\n`);
}

/** The AI SDK lines: [instrumentation, the AI SDK's own telemetry] (src/ai-sdk-worker.cjs). */
const AI_SDK_VARIANTS = [
  ["bare", "off"],
  ["telltale", "off"],
  ["telltale-middleware", "off"],
  ["bare", "on"],
  ["telltale", "on"],
];

/** Per AI SDK line: µs per generateText call (median over repetitions of each repetition's median), spans per call,
 * and what Telltale adds over the bare line with the same AI SDK telemetry. */
function summariseAiSdk(runs) {
  const lines = {};
  for (const [instrumentation, aiTelemetry] of AI_SDK_VARIANTS) {
    const results = runs.get(`${instrumentation}/${aiTelemetry}@aisdk`) ?? [];
    const perRep = results.map((result) => median(result.perCallNs) / 1000);
    lines[`${instrumentation}/${aiTelemetry}`] = {
      usPerCall: median(perRep),
      spreadUs: spreadOf(perRep),
      spansPerCall: results[0]?.spansPerCall,
      spanNames: results[0]?.spanNames,
    };
  }
  for (const [key, line] of Object.entries(lines)) {
    const bare = lines[`bare/${key.split("/")[1]}`];
    if (!key.startsWith("bare/") && bare !== undefined) line.addedUsOverBare = line.usPerCall - bare.usPerCall;
  }
  return lines;
}

/** The LLM variants to run, with the bare line each needs and the A/A twin (`VARIANT~aa`) when asked for. */
function selectLlmVariants() {
  const all = Object.keys(LLM_VARIANTS);
  const wanted = new Set(args.variants ? String(args.variants).split(",") : all);
  for (const name of wanted) {
    if (!LLM_VARIANTS[name]) throw new Error(`unknown variant ${name}; known: ${all.join(", ")}`);
    wanted.add(LLM_VARIANTS[name].bare); // a ratio needs its bare line
  }
  const selected = all.filter((name) => wanted.has(name));
  const twins = selected.filter((name) => aaTargets.has(name)).map((name) => `${name}~aa`);
  return [...selected, ...twins];
}

/** The pipeline lines to run: `--lines` (or all), the bare line, and the A/A twin (`LINE~aa`) when asked for. */
function selectPipelineLines() {
  const wanted = new Set(args.lines ? String(args.lines).split(",") : PIPELINE_LINES);
  for (const name of wanted) {
    if (!PIPELINE_LINES.includes(name)) throw new Error(`unknown pipeline line ${name}; known: ${PIPELINE_LINES.join(", ")}`);
  }
  wanted.add("bare");
  const selected = PIPELINE_LINES.filter((name) => wanted.has(name));
  return [...selected, ...selected.filter((name) => aaTargets.has(name)).map((name) => `${name}~aa`)];
}

/** The A/A check of the LLM section, on the plain call: the twin against its variant, round by round. */
function summariseLlmAa(runs, variants) {
  const twin = variants.find((variant) => variant.endsWith("~aa"));
  const samplesOf = (variant, mode) => runs.get(`${mode}/${variant}@llm`)?.map((run) => run.perCallUs);
  if (!twin) return undefined;
  return Object.fromEntries(
    llmModes.map((mode) => [mode, summariseAa(twin.slice(0, -3), samplesOf(twin.slice(0, -3), mode), samplesOf(twin, mode))]),
  );
}

/** One repetition's result in a few words, CPU time per unit (and for a pipeline line, bytes sent per workflow). */
function headline(result) {
  if (result.cpuUsPerWorkflow) {
    const bytes = (result.arrived.signals.traces?.bytes ?? 0) / result.workflows;
    return `${median(result.cpuUsPerWorkflow).toFixed(0)} µs/workflow, ${bytes.toFixed(0)} B/workflow`;
  }
  const samples = result.perCallUs ?? result.perSpanNs ?? result.perOpNs ?? result.perCallNs ?? [];
  const unit = result.perCallUs ? "µs/call" : result.perSpanNs ? "ns/span" : result.perCallNs ? "ns/call" : "ns/op";
  return `${median(samples).toFixed(result.perCallUs ? 1 : 0)} ${unit} (CPU)`;
}

/**
 * `line` against `base`, sample by sample within each round of a repetition (`samples[rep][round]`, as lockstep took
 * them), the median over the rounds of each repetition, then the spread over repetitions.
 */
function pairedByRound(samples, baseSamples, combine) {
  return spreadOf(samples.map((rounds, rep) => median(rounds.map((value, round) => combine(value, baseSamples[rep][round])))));
}
const ratio = (value, base) => value / base;
const difference = (value, base) => value - base;

function summariseLlm(runs, variants) {
  const summary = {};
  for (const mode of llmModes) {
    const samplesOf = (variant) => runs.get(`${mode}/${variant}@llm`).map((run) => run.perCallUs);
    summary[mode] = variants.map((variant) => {
      const spec = LLM_VARIANTS[variant];
      const samples = samplesOf(variant);
      const bareSamples = samplesOf(spec.bare);
      const first = runs.get(`${mode}/${variant}@llm`)[0];
      return {
        variant,
        label: spec.label,
        instrumentation: spec.instrumentation,
        instrumentationPackage: INSTRUMENTATION_PACKAGES[spec.instrumentation],
        wrap: spec.wrap ?? null,
        sdk: `openai@${first.sdkVersion}`,
        bare: spec.bare,
        perCallUs: spreadOf(samples.map(median)),
        addedUs: pairedByRound(samples, bareSamples, difference),
        ratioToBare: pairedByRound(samples, bareSamples, ratio),
        spansPerCall: first.spansPerCall,
        spanNames: first.spanNames,
        spanShapes: first.spanShapes,
        // What the GenAI histograms held at the end of the first repetition (lines with a real MeterProvider).
        histograms: first.histograms ?? null,
        // Every sample, [repetition][round], so that the paired figures can be computed again from the JSON.
        samplesUs: samples.map((rounds) => rounds.map((value) => Number(value.toPrecision(5)))),
      };
    });
  }
  addRatiosToFloor(summary);
  return summary;
}

/** Each instrumented line against the hand-made floor of its major, round by round (when the run has it). */
function addRatiosToFloor(llm) {
  for (const entries of Object.values(llm)) {
    for (const entry of entries) {
      const floor = entries.find((candidate) => candidate.variant === `floor@${entry.variant.split("@")[1]}`);
      entry.ratioToFloor =
        floor && !["none", "floor"].includes(entry.instrumentation) ? pairedByRound(entry.samplesUs, floor.samplesUs, ratio) : null;
    }
  }
}

/**
 * The cheapest other instrumentation on the plain call (the least added cost in the main run), Telltale on the same
 * openai major, and every other instrumentation on that major, when the run has them.
 */
function cheapestAnchorOf(plain) {
  const line = (variant) => plain.find((entry) => entry.variant === variant);
  const majorOf = (entry) => entry.variant.split("@")[1];
  const comparable = plain.filter(
    (entry) => ["otel", "traceloop", "arize"].includes(entry.instrumentation) && line(`telltale@${majorOf(entry)}`),
  );
  if (comparable.length === 0) return undefined;
  const anchor = comparable.reduce((best, entry) => (entry.addedUs.median < best.addedUs.median ? entry : best));
  const sameMajor = comparable.filter((entry) => majorOf(entry) === majorOf(anchor));
  return { anchor, sameMajor, telltale: line(`telltale@${majorOf(anchor)}`), bare: line(anchor.bare) };
}

/**
 * The main run's repetitions cannot tell Telltale from the cheapest other instrumentation: both sit within a few percent of the
 * floor, and a process's own speed differs by ±6 % from one start to the next, which pairing within a round does not
 * cancel. This run puts only Telltale, the other instrumentations on the cheapest one's openai major (which of them is cheapest
 * changes from run to run) and their bare call in lockstep, for many more repetitions (~1.5 s per process and
 * repetition), and reports for each of them the median of the per-repetition differences with a distribution-free
 * 95 % confidence interval. The one with the least added cost in this run is the one Telltale is judged against.
 */
async function runAgainstCheapestAnchor(plain) {
  const found = cheapestAnchorOf(plain);
  if (!found) return undefined;
  const anchors = found.sameMajor.map((entry) => entry.variant);
  const variants = [found.bare.variant, found.telltale.variant, ...anchors];
  const jobs = variants.map((variant) => ({
    section: "llm",
    key: `plain/${variant}`,
    worker: "llm-worker.cjs",
    options: { variant, mode: "plain", ...SIZES.llm.plain },
  }));
  const samples = variants.map(() => []);
  for (let rep = 0; rep < anchorReps; rep++) {
    const results = await runLockstep(jobs, rep);
    results.forEach((result, index) => samples[index].push(result.perCallUs));
    process.stderr.write(`cheapest rep ${rep + 1}/${anchorReps}: ${variants.map((variant, index) => `${variant} ${headline(results[index])}`).join(", ")}\n`);
  }
  const [bare, telltale, ...anchorSamples] = samples;
  const compared = anchors.map((variant, index) => {
    const differenceUs = pairedByRound(telltale, anchorSamples[index], difference);
    return {
      variant,
      addedUs: pairedByRound(anchorSamples[index], bare, difference),
      differenceUs: { ...differenceUs, confidence: medianConfidenceInterval(differenceUs.reps) ?? null },
      ratio: pairedByRound(telltale, anchorSamples[index], ratio),
      repsAbove: differenceUs.reps.filter((value) => value > 0).length,
    };
  });
  const cheapest = compared.reduce((best, entry) => (entry.addedUs.median < best.addedUs.median ? entry : best));
  return {
    reps: anchorReps,
    bare: found.bare.variant,
    telltale: found.telltale.variant,
    telltaleAddedUs: pairedByRound(telltale, bare, difference),
    anchors: compared,
    cheapestAnchor: cheapest.variant,
    samplesUs: Object.fromEntries(variants.map((variant, index) => [variant, samples[index].map((rounds) => rounds.map((value) => Number(value.toPrecision(5))))])),
  };
}

function summariseSampler(runs, memory) {
  const samplesOf = (processor) => runs.get(`${processor}@sampler`).map((run) => run.perSpanNs);
  const none = samplesOf("none");
  const batch = samplesOf("batch");
  const throughput = ["none", "batch", "tail"].map((processor) => {
    const samples = samplesOf(processor);
    const values = samples.map(median);
    const last = runs.get(`${processor}@sampler`).at(-1);
    return {
      processor,
      label: { none: "no span processor (span creation only)", batch: "BatchSpanProcessor", tail: "TailSamplingSpanProcessor (default policy)" }[processor],
      perSpanNs: spreadOf(values),
      processorNs: pairedByRound(samples, none, difference),
      ratioToBatch: pairedByRound(samples, batch, ratio),
      spansPerSecond: Math.round(1e9 / median(values)),
      spansExportedLastRep: last.spansExported,
      spansLastRep: last.spans,
    };
  });
  return { spansPerTrace: 20, throughput, memory };
}

function summariseCore(runs) {
  return ["workflow", "step", "tool"].map((op) => {
    const core = runs.get(`${op}/core@core`).map((run) => run.perOpNs);
    const bare = runs.get(`${op}/bare@core`).map((run) => run.perOpNs);
    return {
      op,
      label: {
        workflow: "workflow() with budget + deadline vs a root startActiveSpan",
        step: "step() in a workflow with budget + deadline vs a child startActiveSpan",
        tool: "tool() in a workflow with budget + deadline vs a child startActiveSpan",
      }[op],
      coreNs: spreadOf(core.map(median)),
      bareNs: spreadOf(bare.map(median)),
      addedNs: pairedByRound(core, bare, difference),
      ratioToBare: pairedByRound(core, bare, ratio),
    };
  });
}

function summariseMcp(runs) {
  return ["v1", "v2"].map((sdk) => {
    const telltale = runs.get(`${sdk}/telltale@mcp`);
    const bare = runs.get(`${sdk}/bare@mcp`).map((run) => run.perCallUs);
    const instrumented = telltale.map((run) => run.perCallUs);
    return {
      sdk: sdk === "v1" ? "@modelcontextprotocol/sdk 1.x" : "@modelcontextprotocol/client + server 2.x",
      telltaleUs: spreadOf(instrumented.map(median)),
      bareUs: spreadOf(bare.map(median)),
      addedUs: pairedByRound(instrumented, bare, difference),
      ratioToBare: pairedByRound(instrumented, bare, ratio),
      spansPerCall: telltale[0]?.spansPerCall,
    };
  });
}

/** The 1-minute load average over the run: its first reading, median, highest and last. */
function loadDuring(samples) {
  const round = (value) => Number(value.toFixed(2));
  return { first: round(samples[0]), median: round(median(samples)), max: round(Math.max(...samples)), readings: samples.length };
}

function environment() {
  const packageVersion = (name) => {
    try {
      return JSON.parse(readFileSync(path.join(realpathSync(path.join(benchDir, "node_modules", name)), "package.json"), "utf8")).version;
    } catch {
      return undefined;
    }
  };
  const packages = {};
  for (const name of [
    "@telltale/core",
    "@telltale/instrumentation-openai",
    "@telltale/sampler",
    "@telltale/node",
    "@opentelemetry/api",
    "@opentelemetry/sdk-node",
    "@opentelemetry/exporter-trace-otlp-proto",
    "@opentelemetry/sdk-trace",
    "@opentelemetry/context-async-hooks",
    "@opentelemetry/instrumentation-openai",
    "@traceloop/instrumentation-openai",
    "@arizeai/openinference-instrumentation-openai",
    "openai-v6",
    "openai-v7",
  ]) {
    packages[name.startsWith("openai-v") ? `openai (${name})` : name] = packageVersion(name);
  }
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? "unknown",
    cpus: cpus.length,
    totalMemoryGb: Math.round(os.totalmem() / 1024 ** 3),
    loadAverageAtEnd: os.loadavg().map((value) => Number(value.toFixed(2))),
    packages,
  };
}

async function profile(target) {
  const [variant, mode = "plain"] = target.split(":");
  if (!LLM_VARIANTS[variant]) throw new Error(`unknown variant ${variant}`);
  const profileDir = path.join(benchDir, "profiles");
  mkdirSync(profileDir, { recursive: true });
  const name = `${variant}-${mode}.cpuprofile`.replaceAll(/[@+]/g, "_");
  const options = { variant, mode, ...SIZES.llm[mode], samples: 30 };
  const calls = 1 + options.warmup + options.samples * options.callsPerSample;
  await runWorker("llm-worker.cjs", options, [
    "--cpu-prof",
    // 200 µs instead of the default 1 ms: a call is ~100 µs, so the default leaves too few samples per function.
    "--cpu-prof-interval=200",
    `--cpu-prof-dir=${profileDir}`,
    `--cpu-prof-name=${name}`,
  ]);
  const file = path.join(profileDir, name);
  process.stdout.write(`${file}\n${summariseProfile(JSON.parse(readFileSync(file, "utf8")), 40, calls)}\n`);
}

async function allocationProfile(target) {
  const [variant, mode = "plain"] = target.split(":");
  if (!LLM_VARIANTS[variant]) throw new Error(`unknown variant ${variant}`);
  const profileDir = path.join(benchDir, "profiles");
  mkdirSync(profileDir, { recursive: true });
  const file = path.join(profileDir, `${variant}-${mode}.heapprofile`.replaceAll(/[@+]/g, "_"));
  const options = { variant, mode, ...SIZES.llm[mode], samples: 10, allocationProfile: file };
  await runWorker("llm-worker.cjs", options);
  const calls = options.samples * options.callsPerSample;
  process.stdout.write(`${file}\n${summariseAllocations(JSON.parse(readFileSync(file, "utf8")), 40, calls)}\n`);
}

function parseArgs(argv) {
  const parsed = {};
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    if (!arg.startsWith("--")) continue;
    const key = arg.slice(2);
    const next = argv[index + 1];
    if (next === undefined || next.startsWith("--")) parsed[key] = true;
    else {
      parsed[key] = next;
      index++;
    }
  }
  return parsed;
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
