// The performance targets, checked on a run (a report, not a gate: no run fails on them), and their table.
//
// Each per-call target is judged on added cost: a line's CPU minus the bare call's in the same lockstep round, the
// median over a repetition's rounds, then over repetitions (results.llm[mode][].addedUs). A ratio of added costs is
// the ratio of those medians; the paired difference of the two lines, round by round, is kept next to it.

import { median, medianConfidenceInterval, spreadOf } from "./stats.mjs";

/** Each limit, written once: the checks below and the table read them from here. */
export const LIMITS = {
  pipelineCpuRatio: 0.5,
  pipelineBytesRatio: 0.1,
  perCallAddedRatio: 1.0,
  streamAddedRatio: 1.1,
  workflowAddedRatio: 1.0,
  metricsShare: 0.1,
  /** Half of the ~1.2 KB per buffered span the sampler held before its compact form. */
  samplerBytesPerSpan: 600,
  samplerVsBatch: 1.3,
};

const OTHER_INSTRUMENTATIONS = ["otel", "traceloop", "arize"];

function pairedDifference(samples, baseSamples) {
  const spread = spreadOf(samples.map((rounds, rep) => median(rounds.map((value, round) => value - baseSamples[rep][round]))));
  return { ...spread, confidence: medianConfidenceInterval(spread.reps) ?? null };
}

/**
 * `line` against `base` on added cost, within `limit` × base's added cost. A base that added nothing measurable (its
 * median at or below the bare call's, which noise does to a small cost) gives no ratio and no verdict: dividing by it
 * would turn any cost of the line into a limit met.
 */
function addedAgainst(line, base, limit) {
  if (!line || !base) return undefined;
  const measurable = base.addedUs.median > 0;
  const addedRatio = measurable ? line.addedUs.median / base.addedUs.median : null;
  return {
    line: line.variant,
    base: base.variant,
    lineAddedUs: line.addedUs.median,
    baseAddedUs: base.addedUs.median,
    addedRatio,
    differenceUs: pairedDifference(line.samplesUs, base.samplesUs),
    limit,
    met: measurable && addedRatio <= limit,
  };
}

function pipelineTarget(pipeline) {
  const comparison = pipeline?.comparisons.find((entry) => entry.line === "telltale");
  if (!comparison) return undefined;
  const telltale = pipeline.lines.find((line) => line.line === "telltale");
  const failures = telltale.failures;
  const failuresTotal = failures.complete + failures.incomplete + failures.missing;
  const cpuRatio = comparison.cpuRatio.median;
  const cpuOf = (name) => pipeline.lines.find((line) => line.line === name)?.cpuUs.median;
  const bare = cpuOf("bare");
  return {
    against: comparison.anchor,
    cpuRatio,
    // The agent alone, without any telemetry, against the same instrumentation: no line can go below it.
    bareCpuRatio: bare === undefined ? null : bare / cpuOf(comparison.anchor),
    addedCpuRatio: comparison.addedCpuRatio?.median ?? null,
    cpuLimit: LIMITS.pipelineCpuRatio,
    bytesRatio: comparison.bytesRatio,
    bytesLimit: LIMITS.pipelineBytesRatio,
    failuresComplete: failures.complete,
    failuresTotal,
    met: cpuRatio <= LIMITS.pipelineCpuRatio && comparison.bytesRatio <= LIMITS.pipelineBytesRatio && failures.complete === failuresTotal,
  };
}

function metricsTarget(plain) {
  const line = (variant) => plain.find((entry) => entry.variant === variant);
  const withMetrics = line("telltale+metrics@6");
  const without = line("telltale@6");
  if (!withMetrics || !without) return undefined;
  const share = (withMetrics.addedUs.median - without.addedUs.median) / without.addedUs.median;
  return {
    line: withMetrics.variant,
    base: without.variant,
    lineAddedUs: withMetrics.addedUs.median,
    baseAddedUs: without.addedUs.median,
    metricsUs: withMetrics.addedUs.median - without.addedUs.median,
    differenceUs: pairedDifference(withMetrics.samplesUs, without.samplesUs),
    share,
    limit: LIMITS.metricsShare,
    met: share < LIMITS.metricsShare,
    handMade: handMadeMetrics(line("floor+metrics@6"), line("floor@6"), without),
  };
}

/**
 * The same three histogram records made by hand on the floor: what the metrics SDK charges for them whoever records
 * them, and that as a share of Telltale's added cost per call (the share the limit is about).
 */
function handMadeMetrics(withMetrics, without, telltale) {
  if (!withMetrics || !without) return null;
  const metricsUs = withMetrics.addedUs.median - without.addedUs.median;
  return {
    line: withMetrics.variant,
    base: without.variant,
    metricsUs,
    differenceUs: pairedDifference(withMetrics.samplesUs, without.samplesUs),
    shareOfTelltale: metricsUs / telltale.addedUs.median,
  };
}

function samplerMemoryTarget(sampler) {
  const largest = sampler?.memory.at(-1);
  if (!largest) return undefined;
  return {
    openTraces: largest.openTraces,
    bytesPerSpan: largest.bytesPerSpan,
    limit: LIMITS.samplerBytesPerSpan,
    met: largest.bytesPerSpan <= LIMITS.samplerBytesPerSpan,
  };
}

/** Telltale against the cheapest other instrumentation on the plain call: from the run of their own when there is one. */
function cheapestOtherTarget(results) {
  const run = results.anchorRun;
  if (!run) return undefined;
  const cheapest = run.anchors.find((entry) => entry.variant === run.cheapestAnchor);
  return {
    telltale: run.telltale,
    telltaleAddedUs: run.telltaleAddedUs.median,
    cheapestAnchor: cheapest.variant,
    cheapestAnchorAddedUs: cheapest.addedUs.median,
    dedicatedDifferenceUs: cheapest.differenceUs,
    judgedOn: "dedicated",
    met: cheapest.differenceUs.median <= 0,
  };
}

export function evaluateTargets(results) {
  const targets = {};
  const plain = results.llm?.plain ?? [];
  const stream = results.llm?.stream ?? [];
  const find = (entries, variant) => entries.find((entry) => entry.variant === variant);
  const floorOf = (entries, entry) => find(entries, `floor@${entry.variant.split("@")[1]}`);
  const plainTelltale = (entries) => entries.filter((entry) => entry.instrumentation === "telltale" && !entry.wrap && !entry.variant.startsWith("telltale+"));
  targets.pipeline = pipelineTarget(results.pipeline);
  targets.perCall = plainTelltale(plain).map((entry) => addedAgainst(entry, floorOf(plain, entry), LIMITS.perCallAddedRatio)).filter(Boolean);
  targets.streamed = plainTelltale(stream).map((entry) => addedAgainst(entry, floorOf(stream, entry), LIMITS.streamAddedRatio)).filter(Boolean);
  targets.workflow = addedAgainst(find(plain, "telltale+workflow@7"), find(plain, "floor+spans@7"), LIMITS.workflowAddedRatio);
  targets.metrics = metricsTarget(plain);
  targets.samplerMemory = samplerMemoryTarget(results.sampler);
  targets.plainAddedVsCheapestAnchor = cheapestOtherTarget(results);
  const tail = results.sampler?.throughput.find((entry) => entry.processor === "tail");
  if (tail) {
    targets.samplerVsBatch = { ratio: tail.ratioToBatch.median, limit: LIMITS.samplerVsBatch, met: tail.ratioToBatch.median <= LIMITS.samplerVsBatch };
  }
  return targets;
}

const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const verdict = (met) => (met ? "met" : "**not met**");
const percent = (value) => `${(value * 100).toFixed(1)} %`;

function addedRow(title, target) {
  const ratio =
    target.addedRatio === null
      ? `no ratio: \`${target.base}\` added nothing measurable in this run`
      : `${fixed(target.addedRatio)}×`;
  return (
    `| ${title} | \`${target.line}\` adds ${fixed(target.lineAddedUs, 1)} µs, \`${target.base}\` ${fixed(target.baseAddedUs, 1)} µs: ` +
    `${ratio} (round by round ${signed(target.differenceUs.median)} µs) | ≤ ${fixed(target.limit, 1)}× | ` +
    `${target.addedRatio === null ? "**not resolved**" : verdict(target.met)} |`
  );
}
const signed = (value) => (value > 0 ? `+${fixed(value, 1)}` : fixed(value, 1));

/** The targets table: what each one asks, what this run measured, and whether it is met. */
export function renderTargets(results, labels) {
  const targets = results.targets ?? {};
  const rows = [];
  if (targets.pipeline) {
    const target = targets.pipeline;
    rows.push(
      `| Pipeline: CPU per workflow, against the cheapest other instrumentation (${labels[target.against] ?? target.against}) | ` +
        `${fixed(target.cpuRatio)}×` +
        (target.addedCpuRatio === null ? "" : ` (${fixed(target.addedCpuRatio)}× its cost above no telemetry)`) +
        ` | ≤ ${fixed(target.cpuLimit, 1)}× | ${verdict(target.cpuRatio <= target.cpuLimit)} |`,
      `| Pipeline: bytes on the wire, against the same | ${fixed(target.bytesRatio, 3)}× | ≤ ${fixed(target.bytesLimit, 1)}× | ` +
        `${verdict(target.bytesRatio <= target.bytesLimit)} |`,
      `| Pipeline: every failure trace delivered complete | ${target.failuresComplete} of ${target.failuresTotal} | all | ` +
        `${verdict(target.failuresComplete === target.failuresTotal)} |`,
    );
  }
  for (const target of targets.perCall ?? []) rows.push(addedRow("Per plain call: added CPU against the single-span floor", target));
  for (const target of targets.streamed ?? []) rows.push(addedRow("Streamed call (50 chunks, usage): added CPU against a floor recording the same at the end", target));
  if (targets.workflow) rows.push(addedRow("A call in `workflow()` + `step()` with a budget and a deadline, against the floor inside two plain spans", targets.workflow));
  if (targets.metrics) {
    const target = targets.metrics;
    rows.push(
      `| GenAI metrics on (a real \`MeterProvider\`), share of the call's added cost | ${signed(target.metricsUs)} µs on ` +
        `${fixed(target.baseAddedUs, 1)} µs: ${percent(target.share)} (round by round ${signed(target.differenceUs.median)} µs) | ` +
        `< ${percent(target.limit)} | ${verdict(target.met)} |`,
    );
  }
  if (targets.samplerMemory) {
    const target = targets.samplerMemory;
    rows.push(
      `| Sampler memory per buffered span (${target.openTraces.toLocaleString("en-US")} undecided traces) | ` +
        `${Math.round(target.bytesPerSpan)} bytes | ≤ ${target.limit} bytes (half of ~1.2 KB) | ${verdict(target.met)} |`,
    );
  }
  if (rows.length === 0) return [];
  return [
    ...targetsHead(),
    ...rows,
    ...cpuFloor(targets.pipeline),
    ...metricsFloor(targets.metrics),
    ...bytesBreakdown(results.pipeline, targets.pipeline),
    ...unresolved(results),
  ];
}

/**
 * Where the pipeline's CPU limit stands against the agent's own work: the whole process's CPU includes the SDK, the
 * agent and the event loop, which no instrumentation can take away. When the line without telemetry is already above
 * the limit, the limit cannot be met by any line on this load, and the part an instrumentation controls is its cost
 * above that line.
 */
function cpuFloor(target) {
  if (!target || target.bareCpuRatio === null || target.bareCpuRatio === undefined) return [];
  const reachable = target.bareCpuRatio <= target.cpuLimit;
  return [
    "",
    `The agent without any telemetry runs at ${fixed(target.bareCpuRatio)}× the CPU per workflow of the other instrumentation ` +
      (reachable
        ? `here, under the ${fixed(target.cpuLimit, 1)}× limit: the limit leaves room for Telltale's own cost.`
        : `here, above the ${fixed(target.cpuLimit, 1)}× limit: on this load no line can meet that limit, telemetry or not. ` +
          `What an instrumentation controls is its cost above the agent's, where Telltale's is ` +
          `${target.addedCpuRatio === null ? "not measured in this run" : `${fixed(target.addedCpuRatio)}× the other's`}.`),
  ];
}

/**
 * What the GenAI histograms cost when recorded by hand: the metrics SDK hashes every record's attributes, and the
 * conventions give each call three records (a duration, input and output tokens) with six or seven attributes
 * each. When that alone is at or above the limit, no instrumentation that records them meets it.
 */
function metricsFloor(target) {
  const handMade = target?.handMade;
  if (!handMade) return [];
  const reachable = handMade.shareOfTelltale < target.limit;
  return [
    "",
    `The same three histogram records made by hand on the floor (\`${handMade.line}\` against \`${handMade.base}\`) add ` +
      `${fixed(handMade.metricsUs, 1)} µs (round by round ${signed(handMade.differenceUs.median)} µs): ` +
      `${percent(handMade.shareOfTelltale)} of Telltale's added cost per call, ` +
      (reachable
        ? `under the ${percent(target.limit)} limit: the limit leaves room for Telltale's own part of the metrics.`
        : `at or above the ${percent(target.limit)} limit: what the metrics SDK charges for the records the conventions ask for is ` +
          "already more than the limit allows, whoever records them."),
  ];
}

/**
 * The pipeline's bytes ratio in two factors: the share of its own export that the in-process sampler keeps (the
 * default line against the collector line, which exports everything), times the size of Telltale's full export
 * against the other instrumentation's. It tells whether the sampler or the span size is what stands in the way.
 */
function bytesBreakdown(pipeline, target) {
  const bytesOf = (name) => pipeline?.lines.find((line) => line.line === name)?.bytesPerWorkflow.median;
  const telltale = bytesOf("telltale");
  const collector = bytesOf("telltale-collector");
  const other = target && bytesOf(target.against);
  if (!telltale || !collector || !other) return [];
  return [
    "",
    `The pipeline's bytes ratio is the share of Telltale's spans' bytes its sampler sends (${fixed(telltale / collector, 3)}: ` +
      "the failures, kept whole, and the 5 % baseline of healthy traces) times the size of everything Telltale writes " +
      `against everything the other instrumentation writes (${fixed(collector / other)}×, the collector line against it).`,
  ];
}

/** Which verdicts rest on a comparison whose A/A check did not hold in this run. */
function unresolved(results) {
  const failed = [
    ["the pipeline", results.pipeline?.aa],
    ["the plain call", results.llmAa?.plain],
    ["the streamed call", results.llmAa?.stream],
  ].filter(([, aa]) => aa && !aa.withinTolerance);
  if (failed.length === 0) return [];
  const spread = failed.map(([name, aa]) => `${name} ${fixed(aa.ratio.min, 3)}–${fixed(aa.ratio.max, 3)}`).join(", ");
  return [
    "",
    `The A/A check did not hold within ±2 % for ${failed.map(([name]) => name).join(", ")} in this run (twin against ` +
      `line: ${spread}; see the known limits): a verdict whose figure lies within that spread of its limit is not ` +
      "resolved by this run; one further away is.",
  ];
}

function targetsHead() {
  return [
    "## Targets",
    "",
    "What Telltale aims at, checked on this run. Nothing is bought by dropping a signal: every Telltale line runs with " +
      "all its signals on. Per call, *added* is a line's CPU above the bare call's in the same round; a ratio of " +
      "added costs is the ratio of their medians, and the round-by-round difference of the two lines is shown with it.",
    "",
    "| target | measured | limit | |",
    "|---|---|---|---|",
  ];
}
