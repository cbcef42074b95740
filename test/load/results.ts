/** The load test's figures: what one run records (results.json) and the tables across runs (results.md). */
import type { Completeness, StepResult } from "./scenario.js";

export interface StepSeries {
  name: string;
  steps: StepResult[];
  completeness: Completeness[];
}

export interface LoadRun {
  startedAt: string;
  finishedAt: string;
  commit: string;
  loadAverageAtStart: number;
  loadAverageAtEnd: number;
  stepSeconds: number;
  meanSpansPerTrace: number;
  rootDelayMs: number;
  singleCollector: StepSeries;
  reference: StepSeries;
  memoryEdge: MemoryEdgeSeries[];
  twoTier: (StepSeries & { samplers: number; capCores: number | null })[];
  restarts: RestartResult[];
}

export interface MemoryEdgeSeries extends StepSeries {
  limitMiB: number;
  spikeLimitMiB: number;
  goMemLimitMiB: number | null;
  decisionWaitAfterRootSeconds: number;
  alive: boolean;
}

export interface RestartResult {
  mode: "graceful" | "crash";
  rate: number;
  restartSeconds: number;
  steps: StepResult[];
  completeness: Completeness[];
}

const round = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : "-");
const thousands = (value: number): string => Math.round(value).toLocaleString("en-US");

function perCore(step: StepResult | undefined): number {
  if (!step) return 0;
  return step.spansPerSecond / step.collectors.reduce((sum, collector) => sum + collector.cores, 0);
}

function capOf(series: StepSeries): string {
  return String(series.steps[0]?.collectors.at(-1)?.capCores ?? "no");
}

/** The highest rate a series took without falling behind. */
export function sustained(series: StepSeries): StepResult | undefined {
  return series.steps.filter((step) => step.behind.length === 0).at(-1);
}

function spread(values: number[]): string {
  if (values.length === 0) return "-";
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  return values.length === 1 ? thousands(median) : `${thousands(sorted[0]!)} / ${thousands(median)} / ${thousands(sorted.at(-1)!)}`;
}

function stepTable(series: StepSeries, meanSpansPerTrace: number): string[] {
  const lines = [
    "| offered spans/s | taken spans/s | load avg | collector cores | spans/s per core | RSS MiB | heap MiB | traces held | heap B per held span | failing traces whole (of those accepted) | kept incomplete | fell behind |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const step of series.steps) {
    const sampler = step.collectors.at(-1)!;
    const cores = step.collectors.reduce((sum, collector) => sum + collector.cores, 0);
    const row = series.completeness.find((candidate) => candidate.phase === step.phase);
    lines.push(
      `| ${thousands(step.targetSpansPerSecond)} | ${thousands(step.spansPerSecond)} | ${round(step.loadAverage1m, 1)} | ${step.collectors
        .map((collector) => round(collector.cores, 2))
        .join(" + ")} | ${thousands(step.spansPerSecond / cores)} | ${round(sampler.rssMiB)} | ${round(sampler.heapMiB)} | ${thousands(
        sampler.tracesInMemory,
      )} | ${sampler.tracesInMemory > 0 ? thousands((sampler.heapMiB * 2 ** 20) / (sampler.tracesInMemory * meanSpansPerTrace)) : "-"} | ${
        row ? `${row.failingComplete}/${row.failingSent}` : "-"
      } | ${row?.keptIncomplete ?? "-"} | ${step.behind.join("; ") || "no"} |`,
    );
  }
  return lines;
}

export function renderResults(runs: readonly LoadRun[]): string {
  const latest = runs.at(-1)!;
  const lines: string[] = [
    "# Load test of the sampling tier: results",
    "",
    "Written by `./run load` (test/load/sampling-tier.load.ts); the method and the conclusions are in",
    "docs/performance.md. Each run appends to results.json. Machine: 2 cores shared with other work, so every step",
    "records the 1-minute load average; a load above 2 means other processes were competing for the cores.",
    "",
    `Runs: ${runs.length} (${runs.map((entry) => `${entry.startedAt.slice(0, 16)}Z at ${entry.commit}, load ${round(entry.loadAverageAtStart, 1)}-${round(entry.loadAverageAtEnd, 1)}`).join("; ")}).`,
    `Traces: ${round(latest.meanSpansPerTrace, 1)} spans on average (13 to 49), one in 7 failing; each arrives in two parts, the root span ${round(latest.rootDelayMs / 1000, 1)} s after the others. Steps of ${latest.stepSeconds} s.`,
    "",
    "## Across runs (min / median / max)",
    "",
    "| figure | value |",
    "|---|---|",
    `| one sampling collector capped at ${capOf(latest.singleCollector)} core: spans/s sustained (nothing refused, every failing trace whole, CPU below 95 % of the cap) | ${spread(runs.map((entry) => sustained(entry.singleCollector)?.spansPerSecond ?? 0))} |`,
    `| the same, per core used (spans/s divided by the cores it used at that rate) | ${spread(runs.map((entry) => perCore(sustained(entry.singleCollector))))} |`,
    `| the same collector without tail_sampling, same cap: spans/s sustained | ${spread(runs.map((entry) => sustained(entry.reference)?.spansPerSecond ?? 0))} |`,
    `| without tail_sampling, per core used | ${spread(runs.map((entry) => perCore(sustained(entry.reference))))} |`,
    ...latest.twoTier.map(
      (series, index) =>
        `| two tiers, ${series.samplers} sampling collector(s) capped at ${series.capCores ?? "no"} core: spans/s sustained | ${spread(
          runs.map((entry) => (entry.twoTier[index] ? (sustained(entry.twoTier[index]!)?.spansPerSecond ?? 0) : 0)),
        )} |`,
    ),
    "",
  ];
  for (const [index, entry] of runs.entries()) {
    lines.push(`## Run ${index + 1}: ${entry.startedAt} (commit ${entry.commit})`, "");
    lines.push(`### One sampling collector (GOMAXPROCS=1, capped at ${capOf(entry.singleCollector)} core)`, "", ...stepTable(entry.singleCollector, entry.meanSpansPerTrace), "");
    lines.push(`### Reference: the same config without tail_sampling (GOMAXPROCS=1, capped at ${capOf(entry.reference)} core)`, "", ...stepTable(entry.reference, entry.meanSpansPerTrace), "");
    for (const series of entry.twoTier) {
      lines.push(
        `### Two tiers: load balancer + ${series.samplers} sampling collector(s), each capped at ${series.capCores ?? "no"} core`,
        "",
        "Collector cores are listed load balancer first, then each sampling collector; memory and traces held are the last sampling collector's.",
        "",
        ...stepTable(series, entry.meanSpansPerTrace),
        "",
        `Traces split between sampling collectors: ${series.completeness.reduce((sum, row) => sum + row.split, 0)}.`,
        "",
      );
    }
    for (const edge of entry.memoryEdge) {
      const sum = (pick: (row: Completeness) => number): number => edge.completeness.reduce((total, row) => total + pick(row), 0);
      const goMemLimit = edge.goMemLimitMiB === null ? "unset" : `${edge.goMemLimitMiB}MiB`;
      lines.push(
        `### memory_limiter at the edge: limit_mib ${edge.limitMiB}, spike_limit_mib ${edge.spikeLimitMiB}, GOMEMLIMIT ${goMemLimit}, decision_wait_after_root_received ${edge.decisionWaitAfterRootSeconds} s`,
        "",
        ...stepTable(edge, entry.meanSpansPerTrace),
        "",
        `Peak RSS ${round(Math.max(...edge.steps.map((step) => step.collectors[0]!.peakRssMiB)))} MiB; collector still running afterwards: ${edge.alive ? "yes" : "no"}. ` +
          `Failing traces: ${sum((row) => row.failingSent + row.failingRefused)} sent, ${sum((row) => row.failingRefused)} refused in whole or in part (not retried here; an app's OTLP exporter retries a 503); ` +
          `of the ${sum((row) => row.failingSent)} accepted whole, ${sum((row) => row.failingComplete)} kept whole, ${sum((row) => row.failingPartial)} partial, ${sum((row) => row.failingMissing)} missing.`,
        "",
      );
    }
    for (const restart of entry.restarts) {
      const how = restart.mode === "crash" ? "killed (SIGKILL) and started again" : "restarted (SIGTERM, then started again)";
      lines.push(
        `### A sampling collector ${how} under load (${thousands(restart.rate)} spans/s offered, back after ${round(restart.restartSeconds, 1)} s)`,
        "",
        "| phase | spans refused | failing traces accepted | whole | partial | missing | healthy kept | kept incomplete | split |",
        "|---|---|---|---|---|---|---|---|---|",
        ...restart.completeness.map((row) => {
          const step = restart.steps.find((candidate) => candidate.phase === row.phase)!;
          return `| ${row.phase} | ${thousands(step.spansRefused)} | ${row.failingSent} | ${row.failingComplete} | ${row.failingPartial} | ${row.failingMissing} | ${row.healthyKept}/${row.healthySent} | ${row.keptIncomplete} | ${row.split} |`;
        }),
        "",
      );
    }
  }
  return lines.join("\n");
}
