// Smoke test for the bench's pipeline section: a --quick run of a few lines, then what the receiver counted, the
// failure traces it found whole, the A/A twin, and the docs rendered from it. Nothing here looks at how fast anything
// was: the figures of a quick run mean nothing, only their wiring is checked.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const benchDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const runScript = path.join(benchDir, "run.mjs");
const require = createRequire(import.meta.url);
const agent = require("../src/pipeline/agent.cjs") as {
  FAULTS: string[];
  faultOf: (index: number) => string | undefined;
  expectedSpans: (fault: string | undefined) => number;
};

interface Spread {
  median: number;
  min: number;
  max: number;
  reps: number[];
}
interface Counts {
  complete: number;
  incomplete: number;
  missing: number;
}
interface PipelineLine {
  line: string;
  cpuUs: Spread;
  addedCpuUs: Spread | null;
  bytesPerWorkflow: Spread;
  spansPerWorkflow: Spread;
  heapHighWaterMb: Spread;
  workflows: number;
  failures: Counts & { byFault: Record<string, Counts & { arrived?: string }> };
  healthyChecked: Counts;
  sampler: {
    tracesKept: number;
    tracesDropped: number;
    tracesExported: number;
    tracesLost: number;
    spansLost: number;
    lostSpansByReason: Record<string, number>;
  } | null;
  samplesUs: number[][];
}
interface Results {
  quick: boolean;
  config: { reps: number; sizes: { pipeline: { warmup: number; samples: number; workflowsPerSample: number; healthyChecked: number } } };
  pipeline: {
    lines: PipelineLine[];
    comparisons: Array<{ line: string; anchor: string; cpuRatio: Spread; bytesRatio: number }>;
    aa: { line: string; reps: number; ratio: Spread; withinTolerance: boolean } | null;
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

describe("pnpm bench --sections pipeline (--quick: no telemetry, Telltale both ways, the official instrumentation)", () => {
  let outDir: string;
  let results: Results;
  let line: (name: string) => PipelineLine;

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), "telltale-bench-pipeline-"));
    await promisify(execFile)(
      process.execPath,
      [runScript, "--quick", "--sections", "pipeline", "--lines", "telltale,telltale-collector,otel", "--reps", "2", "--out", outDir],
      { timeout: 120_000 },
    );
    results = JSON.parse(readFileSync(path.join(outDir, "results.json"), "utf8")) as Results;
    line = (name) => results.pipeline.lines.find((entry) => entry.line === name)!;
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it("runs the lines asked for, the bare line, and the A/A twin of Telltale's", () => {
    expect(results.pipeline.lines.map((entry) => entry.line)).toEqual(["bare", "otel", "telltale", "telltale-collector"]);
    expect(results.pipeline.aa).toMatchObject({ line: "telltale", reps: 2 });
    expect(results.pipeline.aa!.ratio.reps).toHaveLength(2);
    const { warmup, samples, workflowsPerSample } = results.config.sizes.pipeline;
    for (const entry of results.pipeline.lines) {
      // Two repetitions, each: the warm-up, one warm-up round and the measured samples.
      expect(entry.workflows).toBe(2 * (warmup + (1 + samples) * workflowsPerSample));
      expect(entry.samplesUs).toHaveLength(2);
      for (const rounds of entry.samplesUs) expect(rounds).toHaveLength(samples);
    }
  });

  it("takes the CPU above no telemetry round by round", () => {
    const bare = line("bare");
    expect(bare.addedCpuUs).toBeNull();
    for (const name of ["otel", "telltale", "telltale-collector"]) {
      const entry = line(name);
      entry.addedCpuUs!.reps.forEach((value, rep) => {
        const differences = entry.samplesUs[rep]!.map((sample, round) => sample - bare.samplesUs[rep]![round]!);
        expect(Math.abs(value - median(differences))).toBeLessThanOrEqual(Math.max(...entry.samplesUs[rep]!) * 1e-3);
      });
    }
  });

  it("counts at the receiver every span of every trace that the collector mode and the other instrumentation export", () => {
    const perRep = line("telltale-collector").workflows / 2;
    let spans = 0;
    for (let index = 0; index < perRep; index++) spans += agent.expectedSpans(agent.faultOf(index));
    expect(line("telltale-collector").spansPerWorkflow.median).toBeCloseTo(spans / perRep, 4);
    expect(line("bare").bytesPerWorkflow.median).toBe(0);
    for (const name of ["otel", "telltale-collector"]) {
      // Every healthy trace checked arrived whole, and so did every failure the other instrumentation records.
      expect(line(name).healthyChecked).toEqual({ complete: 50, incomplete: 0, missing: 0 });
      expect(line(name).bytesPerWorkflow.median).toBeGreaterThan(0);
    }
  });

  it("finds every failure trace Telltale keeps complete, in both modes, and the healthy bulk dropped in-process", () => {
    const failuresRun = 2 * agent.FAULTS.length; // every fault once per repetition in a quick run
    for (const name of ["telltale", "telltale-collector"]) {
      expect(line(name).failures).toMatchObject({ complete: failuresRun, incomplete: 0, missing: 0 });
      expect(Object.keys(line(name).failures.byFault).sort()).toEqual([...agent.FAULTS].sort());
    }
    const telltale = line("telltale");
    expect(telltale.healthyChecked.complete + telltale.healthyChecked.missing).toBe(50);
    expect(telltale.healthyChecked.missing).toBeGreaterThan(0);
    expect(telltale.bytesPerWorkflow.median).toBeLessThan(line("telltale-collector").bytesPerWorkflow.median);
    // The sampler decided every trace of the last repetition.
    expect(telltale.sampler!.tracesKept + telltale.sampler!.tracesDropped).toBe(telltale.workflows / 2);
    // And delivered every trace it kept: none lost on the way to the receiver.
    expect(telltale.sampler).toMatchObject({ tracesExported: telltale.sampler!.tracesKept, tracesLost: 0, spansLost: 0 });
    expect(Object.values(telltale.sampler!.lostSpansByReason).every((count) => count === 0)).toBe(true);
  });

  it("shows the stream the official instrumentation never ends as a trace that arrived without its LLM span", () => {
    expect(line("otel").failures.byFault.stream_aborted).toEqual({ complete: 0, incomplete: 2, missing: 0, arrived: "8 of 9 spans" });
  });

  it("compares each Telltale line with the cheapest other instrumentation", () => {
    expect(results.pipeline.comparisons.map((entry) => [entry.line, entry.anchor])).toEqual([
      ["telltale", "otel"],
      ["telltale-collector", "otel"],
    ]);
    const telltale = results.pipeline.comparisons[0]!;
    expect(telltale.bytesRatio).toBeCloseTo(line("telltale").bytesPerWorkflow.median / line("otel").bytesPerWorkflow.median, 6);
  });

  it("renders the pipeline and the A/A check, and --render rewrites results.md from results.json", async () => {
    const markdown = readFileSync(path.join(outDir, "results.md"), "utf8");
    expect(markdown).toContain("## The whole pipeline: an agent's workflows, exported");
    expect(markdown).toContain("| Telltale, `@telltale/node` defaults (in-process sampler) |");
    expect(markdown).toContain("| stream read no further | 0 of 2 (8 of 9 spans) | 2 of 2 | 2 of 2 |");
    expect(markdown).toContain("## A/A check");
    expect(markdown).toContain("These numbers mean nothing");
    rmSync(path.join(outDir, "results.md"));
    await promisify(execFile)(process.execPath, [runScript, "--render", "--out", outDir], { timeout: 60_000 });
    expect(readFileSync(path.join(outDir, "results.md"), "utf8")).toBe(markdown);
  });

  it("gives the README its paragraph from a full run's headline figures, and none from a quick run", async () => {
    const docs = (await import("../src/docs.mjs")) as {
      headlineOf: (results: unknown) => unknown;
      renderPerformanceBlock: (results: unknown) => string;
      parseHeadline: (block: string) => unknown;
      renderReadmeSummary: (headline: unknown) => string;
    };
    expect(docs.headlineOf(results)).toBeUndefined();
    expect(docs.renderReadmeSummary(docs.parseHeadline(docs.renderPerformanceBlock(results)))).toBe("not measured yet");
    const full = { ...results, quick: false, generatedAt: "2026-01-02T03:04:05.000Z" };
    const headline = docs.headlineOf(full);
    expect(docs.parseHeadline(docs.renderPerformanceBlock(full))).toEqual(headline);
    const summary = docs.renderReadmeSummary(headline);
    const comparison = results.pipeline.comparisons[0]!;
    expect(summary).toContain(`Telltale takes ${comparison.cpuRatio.median.toFixed(2)}× the CPU per workflow`);
    expect(summary).toContain(`sends ${comparison.bytesRatio.toFixed(2)}× its bytes`);
    expect(summary).toContain("It delivered 16 of 16 failure traces complete; the alternative, exporting everything, 14 of 16.");
    expect(summary).toContain("[docs/performance.md](docs/performance.md)");
  });
});
