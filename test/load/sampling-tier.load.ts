/**
 * Load test of the sampling tier (`./run load`, not part of `./run test`): the collector built by scripts/go-tools.sh
 * running deploy/collector/tail-sampling.yaml, fed agent-shaped traces at rising rates until it falls behind. Each
 * run appends its figures to test/load/results.json and rewrites test/load/results.md, which docs/performance.md
 * quotes. Bounded: every phase has a fixed length, and the whole run takes about 15 minutes (the test itself; the build before it adds a few).
 *
 * Scenarios:
 * 1. one sampling collector on a fixed CPU share (GOMAXPROCS=1, a quarter of a core), rates stepped up: spans/s
 *    sustained with nothing refused and every failing trace kept whole; memory against the traces it holds;
 * 2. the same config without tail_sampling: the reference line;
 * 3. memory_limiter at the edge: a collector given 256 MiB holding traces 30 s after their root, without and with
 *    GOMEMLIMIT;
 * 4. two tiers: the load-balancing collector in front of one, then two sampling collectors each capped at a fixed CPU
 *    share: throughput grows, no trace is split;
 * 5. a sampling collector restarted under load (SIGTERM), and one killed (SIGKILL): what is lost, counted.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePort, goBinaries, LOAD_BALANCER_CONFIG, startCollector } from "../support/index.js";
import { LoadGenerator, ROOT_DELAY_MS } from "./generator.js";
import { loadAverage1m } from "./observe.js";
import { renderResults, type LoadRun, type MemoryEdgeSeries, type RestartResult, type StepSeries } from "./results.js";
import {
  completeness,
  drained,
  measured,
  measureStep,
  startMeasuredSampler,
  startSink,
  type MeasuredCollector,
  type Sink,
  type StepResult,
} from "./scenario.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_JSON = path.join(HERE, "results.json");
const RESULTS_MD = path.join(HERE, "results.md");
const STEP_SECONDS = Number(process.env.TELLTALE_LOAD_STEP_SECONDS ?? 15);
/** Offered spans per second, one step each (25 % apart), until the collector falls behind. */
const RATES = [5_000, 6_250, 7_800, 9_800, 12_200, 15_300, 19_100, 23_900, 29_800, 37_300, 46_600];
/**
 * The single collector gets a quarter of a core (cgroup CPU quota, GOMAXPROCS=1): on two shared cores the load
 * generator cannot outrun a whole core of collector, and a fixed share makes runs comparable whatever else runs.
 */
const SINGLE_CAP_CORES = 0.25;
/** Each sampling collector of the two-tier runs gets this share of a core, so two of them and the load balancer fit. */
const SAMPLER_CAP_CORES = 0.15;
const DRAIN_QUIET_MS = 15_000;

let sink: Sink | undefined;
const started: MeasuredCollector[] = [];
const run: Partial<LoadRun> = {};

beforeAll(async () => {
  goBinaries();
  sink = await startSink();
}, 900_000);

afterAll(async () => {
  await Promise.all(started.map((collector) => collector.stop()));
  sink?.stop();
});

async function sampler(options: Omit<Parameters<typeof startMeasuredSampler>[0], "sink">): Promise<MeasuredCollector> {
  const collector = await startMeasuredSampler({ ...options, sink: sink! });
  started.push(collector);
  return collector;
}

async function stop(collectors: MeasuredCollector[]): Promise<void> {
  await Promise.all(collectors.map((collector) => collector.stop()));
}

/** Steps through `rates` until a step falls behind (that step is kept: it shows how). */
async function stepUp(name: string, generator: LoadGenerator, targets: MeasuredCollector[], rates: readonly number[]): Promise<StepSeries> {
  const steps: StepResult[] = [];
  for (const rate of rates) {
    const step = await measureStep(generator, targets, `${name}@${rate}`, rate, STEP_SECONDS);
    steps.push(step);
    console.log(`${name} ${rate}/s: took ${Math.round(step.spansPerSecond)}/s, load ${step.loadAverage1m.toFixed(1)}, ${step.behind.join("; ") || "kept up"}`);
    if (step.behind.length > 0) break;
  }
  await generator.flushRoots(steps.at(-1)!);
  const report = await drained(sink!, DRAIN_QUIET_MS);
  return { name, steps, completeness: completeness(generator.sent, report, steps.map((step) => step.phase)) };
}

it("measures the sampling tier", async () => {
  run.startedAt = new Date().toISOString();
  run.rootDelayMs = ROOT_DELAY_MS;
  run.loadAverageAtStart = loadAverage1m();
  run.commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  run.stepSeconds = STEP_SECONDS;

  try {
    // 1 and 2: one collector on one core, with and without tail sampling.
    for (const tailSampling of [true, false]) {
      const name = tailSampling ? "tail-sampling" : "no-tail-sampling";
      const collector = await sampler({ name, tailSampling, gomaxprocs: 1, capCores: SINGLE_CAP_CORES });
      const generator = new LoadGenerator(collector.collector.otlpHttpUrl);
      run.meanSpansPerTrace = generator.meanSpansPerTrace;
      const series = await stepUp(name, generator, [collector], RATES);
      if (tailSampling) run.singleCollector = series;
      else run.reference = series;
      generator.close();
      await stop([collector]);
    }

    // 3: memory_limiter at the edge, without and with GOMEMLIMIT (the Kubernetes manifest sets both).
    run.memoryEdge = [];
    for (const goMemLimitMiB of [undefined, 240]) run.memoryEdge.push(await memoryEdge(goMemLimitMiB));

    // 4: two tiers, one then two capped sampling collectors behind the load-balancing collector.
    run.twoTier = [];
    for (const samplerCount of [1, 2]) {
      const { loadBalancer, samplers } = await twoTier(samplerCount);
      const generator = new LoadGenerator(loadBalancer.collector.otlpHttpUrl);
      const series = await stepUp(`two-tier-${samplerCount}`, generator, [loadBalancer, ...samplers], RATES);
      run.twoTier.push({ ...series, samplers: samplerCount, capCores: samplers[0]!.capCores ?? null });
      generator.close();
      await stop([loadBalancer, ...samplers]);
    }

    // 5: one of two sampling collectors restarted under load: a rolling restart (SIGTERM), then a crash (SIGKILL).
    run.restarts = [];
    for (const mode of ["graceful", "crash"] as const) run.restarts.push(await restartUnderLoad(mode));
  } finally {
    // A run that stops part-way (a collector that would not start again) still records what it measured.
    if (run.singleCollector) saveRun();
  }

  // What the figures claim must hold in this run: below the rate where it fell behind, every failing trace was kept whole.
  for (const series of [run.singleCollector!, ...run.twoTier]) {
    for (const row of series.completeness.slice(0, -1)) {
      expect({ phase: row.phase, partial: row.failingPartial, missing: row.failingMissing, split: row.split }).toEqual({
        phase: row.phase,
        partial: 0,
        missing: 0,
        split: 0,
      });
    }
  }
}, 3_600_000);

/** Appends this run to results.json and rewrites results.md from every run recorded there. */
function saveRun(): void {
  run.loadAverageAtEnd = loadAverage1m();
  run.finishedAt = new Date().toISOString();
  const previous = existsSync(RESULTS_JSON) && process.env.TELLTALE_LOAD_RESET !== "1"
    ? (JSON.parse(readFileSync(RESULTS_JSON, "utf8")) as { runs: LoadRun[] }).runs
    : [];
  const runs = [...previous, { reference: { name: "no-tail-sampling", steps: [], completeness: [] }, memoryEdge: [], twoTier: [], restarts: [], ...run } as LoadRun];
  writeFileSync(RESULTS_JSON, JSON.stringify({ runs }, null, 2) + "\n");
  writeFileSync(RESULTS_MD, renderResults(runs));
}

/**
 * 256 MiB for memory_limiter (soft limit 192 MiB) and traces held 30 s after their root, at 60 % of the rate the
 * collector sustained on CPU, so memory, not CPU, is what runs out.
 */
async function memoryEdge(goMemLimitMiB: number | undefined): Promise<MemoryEdgeSeries> {
  const name = goMemLimitMiB === undefined ? "memory-edge" : "memory-edge-gomemlimit";
  const rate = Math.max(4_000, Math.round(lastKeptUp(run.singleCollector!) * 0.6));
  const collector = await sampler({
    name,
    tailSampling: true,
    gomaxprocs: 1,
    capCores: SINGLE_CAP_CORES,
    env: goMemLimitMiB === undefined ? {} : { GOMEMLIMIT: `${goMemLimitMiB}MiB` },
    overrides: {
      processors: {
        memory_limiter: { limit_mib: 256, spike_limit_mib: 64 },
        tail_sampling: { decision_wait_after_root_received: "30s" },
      },
    },
  });
  const generator = new LoadGenerator(collector.collector.otlpHttpUrl);
  const steps: StepResult[] = [];
  for (let index = 0; index < 4; index++) {
    const step = await measureStep(generator, [collector], `${name}-${index + 1}`, rate, STEP_SECONDS);
    steps.push(step);
    console.log(`${name} ${rate}/s part ${index + 1}: rss ${step.collectors[0]!.rssMiB.toFixed(0)} MiB, ${step.behind.join("; ") || "kept up"}`);
  }
  await generator.flushRoots(steps.at(-1)!);
  const report = await drained(sink!, 35_000, 180_000);
  const series: MemoryEdgeSeries = {
    name,
    limitMiB: 256,
    spikeLimitMiB: 64,
    goMemLimitMiB: goMemLimitMiB ?? null,
    decisionWaitAfterRootSeconds: 30,
    steps,
    completeness: completeness(generator.sent, report, steps.map((step) => step.phase)),
    alive: collector.collector.process.running,
  };
  generator.close();
  await stop([collector]);
  return series;
}

/**
 * Two sampling collectors behind the load balancer at half the rate they sustained; sampler-2 is stopped (SIGTERM,
 * as in a rolling update) or killed (SIGKILL, a crash) 10 s in and started again on the same port.
 */
async function restartUnderLoad(mode: "graceful" | "crash"): Promise<RestartResult> {
  const { loadBalancer, samplers } = await twoTier(2);
  const rate = Math.round(lastKeptUp(run.twoTier![1]!) * 0.5);
  const generator = new LoadGenerator(loadBalancer.collector.otlpHttpUrl);
  const targets = [loadBalancer, ...samplers];
  const phases = [`${mode}-before`, `${mode}-during`, `${mode}-after`];
  const before = await measureStep(generator, targets, phases[0]!, rate, 10);
  const restartedAt = Date.now();
  const [during] = await Promise.all([
    measureStep(generator, targets, phases[1]!, rate, 10),
    (async () => {
      if (mode === "crash") await samplers[1]!.collector.kill();
      await samplers[1]!.collector.restart();
      samplers[1]!.recap();
    })(),
  ]);
  const restartSeconds = (Date.now() - restartedAt) / 1000;
  const after = await measureStep(generator, targets, phases[2]!, rate, 10);
  await generator.flushRoots(after);
  const report = await drained(sink!, DRAIN_QUIET_MS);
  generator.close();
  await stop(targets);
  return { mode, rate, restartSeconds, steps: [before, during!, after], completeness: completeness(generator.sent, report, phases) };
}

/** The highest rate a series took without falling behind (0 when even its first step fell behind). */
function lastKeptUp(series: StepSeries): number {
  const kept = series.steps.filter((step) => step.behind.length === 0);
  return kept.length > 0 ? kept[kept.length - 1]!.spansPerSecond : 0;
}

async function twoTier(samplerCount: number): Promise<{ loadBalancer: MeasuredCollector; samplers: MeasuredCollector[] }> {
  const samplers: MeasuredCollector[] = [];
  for (let index = 1; index <= samplerCount; index++) {
    samplers.push(await sampler({ name: `sampler-${index}`, tailSampling: true, gomaxprocs: 1, capCores: SAMPLER_CAP_CORES }));
  }
  const telemetryPort = await freePort();
  const loadBalancerCollector = await startCollector({
    name: "load-balancer",
    configFiles: [LOAD_BALANCER_CONFIG],
    telemetryMetricsPort: telemetryPort,
    env: {
      TELLTALE_SAMPLING_TIER_HOSTNAMES: `[${samplers.map((target) => target.collector.otlpGrpcEndpoint).join(", ")}]`,
      TELLTALE_METRICS_OTLP_ENDPOINT: sink!.metricsUrl,
    },
  });
  const loadBalancer = measured("load-balancer", loadBalancerCollector, telemetryPort);
  started.push(loadBalancer);
  return { loadBalancer, samplers };
}
