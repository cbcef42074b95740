// The pipeline section of `pnpm bench`: every line (telemetry.cjs) runs the same agent load (agent.cjs) in its own
// process, in lockstep with the others, exporting to one OTLP receiver (receiver.cjs) in a process of its own; after
// each repetition the receiver says what arrived from each line.

import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runLockstep } from "../lockstep.mjs";
import { median, medianConfidenceInterval, repetitionsForTolerance, spreadOf } from "../stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

/** Starts the receiver process; resolves with `{ port, report(key, expected), stop() }`. */
export function startReceiver() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "receiver.cjs")], { stdio: ["ignore", "pipe", "inherit"] });
    child.on("error", reject);
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (line) => {
      const { port } = JSON.parse(line);
      resolve({
        port,
        async report(key, expected) {
          const response = await fetch(`http://127.0.0.1:${port}/_report/${key}`, { method: "POST", body: JSON.stringify(expected) });
          if (!response.ok) throw new Error(`receiver: report for ${key} answered ${response.status}`);
          return response.json();
        },
        stop: () => child.kill(),
      });
    });
  });
}

/**
 * The environment of one line's process: the parent's, less every OTEL_* and TELLTALE_* variable, plus the same
 * settings for every line (the export endpoint, a service name, metrics and logs off) and the sampling of the
 * Telltale lines.
 */
function workerEnv(port, key, line) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(OTEL|TELLTALE)_/.test(name)));
  return {
    ...env,
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/${key}`,
    OTEL_SERVICE_NAME: "triage-agent",
    OTEL_METRICS_EXPORTER: "none",
    OTEL_LOGS_EXPORTER: "none",
    TELLTALE_SAMPLING: line.startsWith("telltale-collector") ? "collector" : "in-process",
  };
}

/**
 * A group of `runBench`'s main loop: `runRep(rep)` runs one repetition of every line in lockstep and resolves with
 * their results, each with `arrived`: the receiver's account of its exports. `close()` stops the receiver.
 */
export async function pipelineGroup(names, sizes) {
  const receiver = await startReceiver();
  const jobs = names.map((name) => ({
    section: "pipeline",
    key: name,
    worker: "pipeline/worker.cjs",
    options: { line: name, warmup: sizes.warmup, samples: sizes.samples, workflowsPerSample: sizes.workflowsPerSample, healthyChecked: sizes.healthyChecked },
  }));
  return {
    name: "pipeline",
    jobs,
    async runRep(rep) {
      const keyed = jobs.map((job) => ({ ...job, env: workerEnv(receiver.port, `r${rep}-${job.key}`, job.key) }));
      const results = await runLockstep(keyed, rep, { warmRounds: 1, settleMs: sizes.settleMs });
      for (const [index, result] of results.entries()) {
        const { failures, healthy, ...kept } = result;
        results[index] = { ...kept, arrived: await receiver.report(`r${rep}-${keyed[index].key}`, { failures, healthy }) };
      }
      return results;
    },
    close: () => receiver.stop(),
  };
}

const ratio = (value, base) => value / base;
const difference = (value, base) => value - base;

/** Per repetition, the median over its rounds of `combine(sample, base sample of the same round)`. */
function pairedPerRep(samples, baseSamples, combine) {
  return samples.map((rounds, rep) => median(rounds.map((value, round) => combine(value, baseSamples[rep][round]))));
}

function sumCounts(results, pick) {
  const total = { complete: 0, incomplete: 0, missing: 0 };
  for (const result of results) for (const key of Object.keys(total)) total[key] += pick(result)?.[key] ?? 0;
  return total;
}

function failuresByFault(results) {
  const byFault = {};
  for (const result of results) {
    for (const [fault, counts] of Object.entries(result.arrived.failures.byFault)) {
      const total = (byFault[fault] ??= { complete: 0, incomplete: 0, missing: 0 });
      for (const key of ["complete", "incomplete", "missing"]) total[key] += counts[key];
      if (counts.arrived) total.arrived ??= counts.arrived;
    }
  }
  return byFault;
}

function summariseLine(name, results, bareSamples) {
  const samples = results.map((result) => result.cpuUsPerWorkflow);
  const perWorkflow = (pick) => spreadOf(results.map((result) => pick(result) / result.workflows));
  const traces = (result) => result.arrived.signals.traces ?? { requests: 0, bytes: 0 };
  return {
    line: name,
    cpuUs: spreadOf(samples.map(median)),
    addedCpuUs: bareSamples ? spreadOf(pairedPerRep(samples, bareSamples, difference)) : null,
    ratioToBare: bareSamples ? spreadOf(pairedPerRep(samples, bareSamples, ratio)) : null,
    bytesPerWorkflow: perWorkflow((result) => traces(result).bytes),
    spansPerWorkflow: perWorkflow((result) => result.arrived.spans),
    exportsPerWorkflow: perWorkflow((result) => traces(result).requests),
    heapHighWaterMb: spreadOf(results.map((result) => result.heapHighWaterMb)),
    workflows: results.reduce((sum, result) => sum + result.workflows, 0),
    failures: { ...sumCounts(results, (result) => result.arrived.failures), byFault: failuresByFault(results) },
    healthyChecked: sumCounts(results, (result) => result.arrived.healthy),
    sampler: results.at(-1)?.sampler ?? null,
    // Every sample, [repetition][round], so that the paired figures can be computed again from the JSON.
    samplesUs: samples.map((rounds) => rounds.map((value) => Number(value.toPrecision(5)))),
  };
}

/** The A/A check: `twin` against `line`, round by round; within ±2 % when the 95 % interval of the median is. */
export function summariseAa(name, samples, twinSamples) {
  const perRep = pairedPerRep(twinSamples, samples, ratio);
  const confidence = medianConfidenceInterval(perRep) ?? null;
  return {
    line: name,
    reps: perRep.length,
    ratio: spreadOf(perRep),
    confidence,
    withinTolerance: confidence !== null && confidence.low >= 0.98 && confidence.high <= 1.02,
    repetitionsNeeded: repetitionsForTolerance(perRep) ?? null,
  };
}

/**
 * Per line: CPU per workflow (and over the bare line, round by round), what went on the wire per workflow, the heap
 * high-water mark, the failure traces that arrived whole; then Telltale against the cheapest other instrumentation, and the A/A.
 */
export function summarisePipeline(runs, names) {
  const resultsOf = (name) => runs.get(`${name}@pipeline`) ?? [];
  const bareSamples = names.includes("bare") ? resultsOf("bare").map((result) => result.cpuUsPerWorkflow) : undefined;
  const lines = names.filter((name) => !name.endsWith("~aa")).map((name) => summariseLine(name, resultsOf(name), name === "bare" ? undefined : bareSamples));
  const twin = names.find((name) => name.endsWith("~aa"));
  const aa = twin
    ? summariseAa(twin.slice(0, -3), resultsOf(twin.slice(0, -3)).map((r) => r.cpuUsPerWorkflow), resultsOf(twin).map((r) => r.cpuUsPerWorkflow))
    : null;
  return { lines, comparisons: compareWithCheapestAnchor(lines), aa };
}

/** Each Telltale line against the other instrumentation with the least CPU per workflow, round by round. */
function compareWithCheapestAnchor(lines) {
  const anchors = lines.filter((line) => ["otel", "traceloop", "arize"].includes(line.line));
  if (anchors.length === 0) return [];
  const cheapest = anchors.reduce((best, line) => (line.cpuUs.median < best.cpuUs.median ? line : best));
  const bare = lines.find((line) => line.line === "bare");
  return lines
    .filter((line) => line.line.startsWith("telltale"))
    .map((line) => ({
      line: line.line,
      anchor: cheapest.line,
      cpuRatio: spreadOf(pairedPerRep(line.samplesUs, cheapest.samplesUs, ratio)),
      addedCpuRatio: bare
        ? spreadOf(
            line.samplesUs.map((rounds, rep) =>
              median(rounds.map((value, round) => (value - bare.samplesUs[rep][round]) / (cheapest.samplesUs[rep][round] - bare.samplesUs[rep][round]))),
            ),
          )
        : null,
      bytesRatio: line.bytesPerWorkflow.median / cheapest.bytesPerWorkflow.median,
      spansRatio: line.spansPerWorkflow.median / cheapest.spansPerWorkflow.median,
    }));
}
