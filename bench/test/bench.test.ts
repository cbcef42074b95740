// Smoke test for `pnpm bench`: one variant (and its bare line), a handful of iterations, then the shape of the files
// it writes. Timing lives in the bench itself: nothing here looks at how fast anything was.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const runScript = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "run.mjs");

interface Spread {
  median: number;
  min: number;
  max: number;
  reps: number[];
}

interface LlmLine {
  variant: string;
  instrumentation: string;
  sdk: string;
  bare: string;
  perCallUs: Spread;
  addedUs: Spread;
  ratioToBare: Spread;
  ratioToFloor: Spread | null;
  samplesUs: number[][];
  spansPerCall: number;
  spanNames: string[];
  histograms: Record<string, { measurements: number; attributeKeys: string[] }> | null;
}

interface Results {
  schemaVersion: number;
  quick: boolean;
  environment: { node: string; cpus: number; packages: Record<string, string | undefined> };
  config: { reps: number };
  llm: { plain: LlmLine[]; stream: LlmLine[] };
  sampler?: unknown;
  core?: unknown;
  targets: {
    plainAddedVsCheapestAnchor?: unknown;
    perCall?: Array<{ line: string; base: string; addedRatio: number; limit: number; met: boolean }>;
    streamed?: Array<{ line: string; base: string; addedRatio: number; limit: number; met: boolean }>;
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Equal up to the 5 significant digits the JSON keeps. A difference of two rounded samples can be off by the
 * rounding of the samples, not of the difference: `scale` is then the samples' size.
 */
function expectNear(actual: number, expected: number, scale = Math.abs(expected)): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(scale * 1e-3);
}

function expectSpread(spread: Spread, reps: number): void {
  expect(Number.isFinite(spread.median)).toBe(true);
  expect(Number.isFinite(spread.min)).toBe(true);
  expect(Number.isFinite(spread.max)).toBe(true);
  expect(spread.min).toBeLessThanOrEqual(spread.median);
  expect(spread.median).toBeLessThanOrEqual(spread.max);
  expect(spread.reps).toHaveLength(reps);
}

describe("pnpm bench (--quick, Telltale and the floor on openai 7)", () => {
  let outDir: string;
  let results: Results;
  let markdown: string;

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), "telltale-bench-"));
    await promisify(execFile)(
      process.execPath,
      [runScript, "--quick", "--sections", "llm", "--variants", "floor@7,telltale@7", "--reps", "2", "--out", outDir],
      { timeout: 60_000 },
    );
    results = JSON.parse(readFileSync(path.join(outDir, "results.json"), "utf8")) as Results;
    markdown = readFileSync(path.join(outDir, "results.md"), "utf8");
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it("records the machine, the Node version and the package versions", () => {
    expect(results.schemaVersion).toBe(1);
    expect(results.quick).toBe(true);
    expect(results.config.reps).toBe(2);
    expect(results.environment.node).toBe(process.version);
    expect(results.environment.cpus).toBeGreaterThan(0);
    expect(results.environment.packages["@telltale/instrumentation-openai"]).toMatch(/^\d+\.\d+\.\d+/);
    expect(results.environment.packages["openai (openai-v7)"]).toMatch(/^7\./);
  });

  it("measures the requested variant and the bare call it is compared with, plain and streaming", () => {
    for (const mode of ["plain", "stream"] as const) {
      const lines = results.llm[mode];
      expect(lines.map((line) => line.variant)).toEqual(["bare@7", "floor@7", "telltale@7"]);
      const [bare, floor, telltale] = lines as [LlmLine, LlmLine, LlmLine];

      expect(bare.instrumentation).toBe("none");
      expect(bare.spansPerCall).toBe(0);
      expect(bare.sdk).toMatch(/^openai@7\./);

      expect(telltale.instrumentation).toBe("telltale");
      expect(telltale.bare).toBe("bare@7");
      expect(telltale.sdk).toBe(bare.sdk);
      // The instrumentation really ran: one span per call, named as the GenAI conventions name it.
      expect(telltale.spansPerCall).toBe(1);
      expect(telltale.spanNames).toEqual(["chat gpt-4o-mini"]);
      for (const line of lines) {
        expectSpread(line.perCallUs, 2);
        expectSpread(line.addedUs, 2);
        expectSpread(line.ratioToBare, 2);
      }
      // Every sample is kept, [repetition][round]: the lockstep took the same number of rounds from every line.
      for (const line of lines) {
        expect(line.samplesUs).toHaveLength(2);
        line.samplesUs.forEach((rounds, rep) => {
          expect(rounds).toHaveLength(2);
          expectNear(line.perCallUs.reps[rep]!, median(rounds));
        });
      }
      // The ratio is taken sample by sample against the bare call's sample of the same round, then the median of a
      // repetition's rounds.
      const pairedRatio = (line: LlmLine, base: LlmLine, rep: number): number =>
        median(line.samplesUs[rep]!.map((value, round) => value / base.samplesUs[rep]![round]!));
      telltale.ratioToBare.reps.forEach((value, rep) => {
        expectNear(value, pairedRatio(telltale, bare, rep));
      });
      telltale.addedUs.reps.forEach((value, rep) => {
        const differences = telltale.samplesUs[rep]!.map((sample, round) => sample - bare.samplesUs[rep]![round]!);
        expectNear(value, median(differences), Math.max(...telltale.samplesUs[rep]!));
      });
      // And against the hand-made floor, the same way; the bare call and the floor have no floor ratio.
      expect(bare.ratioToFloor).toBeNull();
      expect(floor.ratioToFloor).toBeNull();
      expectSpread(telltale.ratioToFloor!, 2);
      telltale.ratioToFloor!.reps.forEach((value, rep) => {
        expectNear(value, pairedRatio(telltale, floor, rep));
      });
    }
    // The per-call targets are judged on added cost: Telltale's over the floor's, at most 1.0× plain, 1.1× streamed.
    for (const [mode, limit] of [["plain", 1.0], ["stream", 1.1]] as const) {
      const telltale = results.llm[mode].find((line) => line.variant === "telltale@7")!;
      const floor = results.llm[mode].find((line) => line.variant === "floor@7")!;
      // A floor that added nothing measurable (noise, in a run this short) gives no ratio and no verdict.
      const addedRatio = floor.addedUs.median > 0 ? telltale.addedUs.median / floor.addedUs.median : null;
      expect(results.targets[mode === "plain" ? "perCall" : "streamed"]).toEqual([
        expect.objectContaining({ line: "telltale@7", base: "floor@7", addedRatio, limit, met: addedRatio !== null && addedRatio <= limit }),
      ]);
    }
    expect(markdown).toContain("## Targets");
    expect(results.sampler).toBeUndefined();
    expect(results.core).toBeUndefined();
  });

  it("writes the Markdown tables the README quotes", () => {
    expect(markdown).toContain("## Per call on the `openai` SDK");
    expect(markdown).toContain("### Plain call");
    expect(markdown).toContain("### Streaming call (50 chunks, `include_usage`)");
    expect(markdown).toMatch(/\| Telltale \(defaults\) \| openai@7\.\d+\.\d+ \| [\d.]+ \|/);
    expect(markdown).toContain("These numbers mean nothing");
  });
});

interface AnchorRun {
  reps: number;
  bare: string;
  telltale: string;
  telltaleAddedUs: Spread;
  anchors: Array<{
    variant: string;
    addedUs: Spread;
    differenceUs: Spread & { confidence: { level: number; low: number; high: number } | null };
    ratio: Spread;
    repsAbove: number;
  }>;
  cheapestAnchor: string;
  samplesUs: Record<string, number[][]>;
}

describe("pnpm bench (--quick, Telltale against the cheapest other instrumentation in a run of their own)", () => {
  let outDir: string;
  let results: Results & { anchorRun: AnchorRun };
  let markdown: string;

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), "telltale-bench-"));
    await promisify(execFile)(
      process.execPath,
      [runScript, "--quick", "--sections", "llm", "--modes", "plain", "--variants", "telltale@6,otel@6,traceloop@6", "--reps", "1", "--cheapest-reps", "6", "--out", outDir],
      { timeout: 90_000 },
    );
    results = JSON.parse(readFileSync(path.join(outDir, "results.json"), "utf8")) as Results & { anchorRun: AnchorRun };
    markdown = readFileSync(path.join(outDir, "results.md"), "utf8");
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it("runs Telltale, the other instrumentations on its major and their bare call, and pairs them round by round", () => {
    const run = results.anchorRun;
    expect(run).toMatchObject({ reps: 6, bare: "bare@6", telltale: "telltale@6" });
    expect(run.anchors.map((anchor) => anchor.variant)).toEqual(["otel@6", "traceloop@6"]);
    for (const variant of ["bare@6", "telltale@6", "otel@6", "traceloop@6"]) {
      expect(run.samplesUs[variant]).toHaveLength(6);
      for (const rounds of run.samplesUs[variant]!) expect(rounds).toHaveLength(2);
    }
    const telltale = run.samplesUs["telltale@6"]!;
    const bare = run.samplesUs["bare@6"]!;
    for (const anchor of run.anchors) {
      const samples = run.samplesUs[anchor.variant]!;
      const differences = telltale.map((rounds, rep) => median(rounds.map((value, round) => value - samples[rep]![round]!)));
      expectSpread(anchor.differenceUs, 6);
      anchor.differenceUs.reps.forEach((value, rep) => expectNear(value, differences[rep]!, Math.max(...telltale[rep]!, ...samples[rep]!)));
      const added = samples.map((rounds, rep) => median(rounds.map((value, round) => value - bare[rep]![round]!)));
      anchor.addedUs.reps.forEach((value, rep) => expectNear(value, added[rep]!, Math.max(...samples[rep]!, ...bare[rep]!)));
      expect(anchor.repsAbove).toBe(anchor.differenceUs.reps.filter((value) => value > 0).length);
      // With 6 repetitions the only 95 % interval for the median is the whole range.
      expect(anchor.differenceUs.confidence).toEqual({ level: 0.95, low: anchor.differenceUs.min, high: anchor.differenceUs.max });
    }
    // The cheapest is the one with the least added cost in this run.
    const cheapest = [...run.anchors].sort((left, right) => left.addedUs.median - right.addedUs.median)[0]!;
    expect(run.cheapestAnchor).toBe(cheapest.variant);
  });

  it("judges Telltale against that run's cheapest other instrumentation", () => {
    const run = results.anchorRun;
    const cheapest = run.anchors.find((anchor) => anchor.variant === run.cheapestAnchor)!;
    const target = results.targets.plainAddedVsCheapestAnchor as { judgedOn: string; cheapestAnchor: string; dedicatedDifferenceUs: unknown; met: boolean };
    expect(target).toMatchObject({ judgedOn: "dedicated", cheapestAnchor: run.cheapestAnchor, dedicatedDifferenceUs: cheapest.differenceUs });
    expect(target.met).toBe(cheapest.differenceUs.median <= 0);
    expect(markdown).toContain("### Telltale against the cheapest other instrumentation, in a run of their own");
    expect(markdown).toContain(`| ${run.cheapestAnchor} |`);
    expect(markdown).toContain(`${cheapest.repsAbove} of 6`);
  });
});

describe("the confidence interval for a median", () => {
  type Interval = { level: number; low: number; high: number } | undefined;
  const load = async () =>
    (await import("../src/stats.mjs")) as { medianConfidenceInterval: (values: number[], level?: number) => Interval };

  it("takes the order statistics the binomial distribution gives, whatever the order of the values", async () => {
    const { medianConfidenceInterval } = await load();
    const ranks = (count: number) => Array.from({ length: count }, (_, index) => count - index);
    // 95 %: the 2nd and 9th of 10, the 6th and 15th of 20, the 14th and 27th of 40; all 6 of 6 (96.9 %).
    expect(medianConfidenceInterval(ranks(10))).toEqual({ level: 0.95, low: 2, high: 9 });
    expect(medianConfidenceInterval(ranks(20))).toEqual({ level: 0.95, low: 6, high: 15 });
    expect(medianConfidenceInterval(ranks(40))).toEqual({ level: 0.95, low: 14, high: 27 });
    expect(medianConfidenceInterval(ranks(6))).toEqual({ level: 0.95, low: 1, high: 6 });
    expect(medianConfidenceInterval(ranks(5))).toBeUndefined();
  });
});

describe("the repetitions an A/A check needs", () => {
  type Needed = (ratios: number[], options?: { tolerance?: number; maxReps?: number }) => number | undefined;
  const load = async () => ((await import("../src/stats.mjs")) as { repetitionsForTolerance: Needed }).repetitionsForTolerance;

  it("is the fewest that keep 95 % of bootstrap medians within ±2 %, the same on every call", async () => {
    const repetitionsForTolerance = await load();
    // Ratios within ±1 %: any median is within ±2 %, so the fewest allowed.
    expect(repetitionsForTolerance([1.01, 0.99, 1.005, 0.995, 1, 1.008])).toBe(6);
    // ±5 % spread around 1: more repetitions, found again exactly on a second call (a seeded bootstrap).
    const spread = [0.95, 1.05, 0.97, 1.03, 0.99, 1.01, 0.96, 1.04, 1.0, 0.98, 1.02];
    const needed = repetitionsForTolerance(spread)!;
    expect(needed).toBeGreaterThan(6);
    expect(needed).toBeLessThanOrEqual(100);
    expect(repetitionsForTolerance(spread)).toBe(needed);
    // A looser tolerance needs fewer.
    expect(repetitionsForTolerance(spread, { tolerance: 0.04 })!).toBeLessThan(needed);
  });

  it("says none suffices when the twin sits off 1, and needs 6 observed repetitions", async () => {
    const repetitionsForTolerance = await load();
    expect(repetitionsForTolerance([1.05, 1.04, 1.06, 1.05, 1.03, 1.07])).toBeUndefined();
    expect(repetitionsForTolerance([1, 1, 1, 1, 1])).toBeUndefined();
  });
});

describe("retention probe", () => {
  const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "src", "retention-probe.cjs");
  const run = (variant: string) => promisify(execFile)(process.execPath, ["--expose-gc", probe, variant], { timeout: 120_000 });

  it("reports three per-call byte counts for a variant", async () => {
    const { stdout } = await run("bare@6");
    const match = /^bare@6: bytes per call kept through three scavenges: (-?\d+), (-?\d+), (-?\d+)\n$/.exec(stdout);
    expect(match).not.toBeNull();
  });

  it("takes the other instrumentations too", async () => {
    const { stdout } = await run("otel@6");
    expect(stdout).toMatch(/^otel@6: bytes per call kept through three scavenges: -?\d+, -?\d+, -?\d+\n$/);
  });

  it("refuses a variant it cannot build, naming it", async () => {
    await expect(run("telltale+workflow@7")).rejects.toThrow(/retention-probe takes a plain-call variant .*, not telltale\+workflow@7/);
  });
});

describe("pnpm bench (--quick, the lines of the workflow and metrics targets)", () => {
  let outDir: string;
  let results: Results & {
    targets: {
      workflow?: { line: string; base: string; addedRatio: number; limit: number; met: boolean };
      metrics?: {
        line: string;
        base: string;
        share: number;
        metricsUs: number;
        limit: number;
        met: boolean;
        handMade: { line: string; base: string; metricsUs: number; shareOfTelltale: number } | null;
      };
    };
  };

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), "telltale-bench-"));
    const variants = "telltale@6,telltale+metrics@6,floor@6,floor+metrics@6,telltale+workflow@7,floor+spans@7";
    await promisify(execFile)(
      process.execPath,
      [runScript, "--quick", "--sections", "llm", "--modes", "plain", "--variants", variants, "--aa", "none", "--reps", "1", "--out", outDir],
      { timeout: 90_000 },
    );
    results = JSON.parse(readFileSync(path.join(outDir, "results.json"), "utf8")) as typeof results;
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it("wraps Telltale's call in workflow() + step() and the floor in two plain spans", () => {
    const line = (variant: string) => results.llm.plain.find((entry) => entry.variant === variant)!;
    expect(line("telltale+workflow@7").spanNames).toEqual(["chat gpt-4o-mini", "invoke_agent bench", "step answer"]);
    expect(line("floor+spans@7").spanNames).toEqual(["chat gpt-4o-mini", "invoke_agent bench", "step answer"]);
    for (const variant of ["telltale+workflow@7", "floor+spans@7"]) expect(line(variant).spansPerCall).toBe(3);
    const workflow = line("telltale+workflow@7").addedUs.median;
    const floor = line("floor+spans@7").addedUs.median;
    expect(results.targets.workflow).toMatchObject({ line: "telltale+workflow@7", base: "floor+spans@7", addedRatio: floor > 0 ? workflow / floor : null, limit: 1 });
  });

  it("runs Telltale with a real MeterProvider and reports the metrics' share of its added cost", () => {
    const line = (variant: string) => results.llm.plain.find((entry) => entry.variant === variant)!;
    expect(line("telltale+metrics@6").spansPerCall).toBe(1);
    const withMetrics = line("telltale+metrics@6").addedUs.median;
    const without = line("telltale@6").addedUs.median;
    expect(results.targets.metrics).toMatchObject({ line: "telltale+metrics@6", base: "telltale@6", limit: 0.1 });
    expectNear(results.targets.metrics!.share, (withMetrics - without) / without);
  });

  it("records the same GenAI histograms by hand on the floor, and reports what they cost against Telltale's", () => {
    const line = (variant: string) => results.llm.plain.find((entry) => entry.variant === variant)!;
    const telltale = line("telltale+metrics@6").histograms!;
    const handMade = line("floor+metrics@6").histograms!;
    // Every call: one duration and two token records, with the attributes the conventions give them.
    const durationKeys = "gen_ai.operation.name,gen_ai.provider.name,gen_ai.request.model,gen_ai.response.model,server.address,server.port";
    const tokenKeys = "gen_ai.operation.name,gen_ai.provider.name,gen_ai.request.model,gen_ai.response.model,gen_ai.token.type,server.address,server.port";
    for (const histograms of [telltale, handMade]) {
      expect(histograms["gen_ai.client.operation.duration"]!.attributeKeys).toEqual([durationKeys]);
      expect(histograms["gen_ai.client.token.usage"]!.attributeKeys).toEqual([tokenKeys]);
      expect(histograms["gen_ai.client.token.usage"]!.measurements).toBe(2 * histograms["gen_ai.client.operation.duration"]!.measurements);
    }
    expect(handMade["gen_ai.client.operation.duration"]!.measurements).toBe(telltale["gen_ai.client.operation.duration"]!.measurements);
    expect(line("floor@6").histograms).toBeNull();
    const handMadeUs = line("floor+metrics@6").addedUs.median - line("floor@6").addedUs.median;
    expect(results.targets.metrics!.handMade).toMatchObject({ line: "floor+metrics@6", base: "floor@6" });
    expectNear(results.targets.metrics!.handMade!.metricsUs, handMadeUs);
    expectNear(results.targets.metrics!.handMade!.shareOfTelltale, handMadeUs / line("telltale@6").addedUs.median);
  });
});

describe("the targets' verdicts", () => {
  const line = (variant: string, addedUs: number) => ({
    variant,
    instrumentation: variant.split("@")[0],
    addedUs: { median: addedUs, min: addedUs, max: addedUs, reps: [addedUs] },
    samplesUs: [[100 + addedUs]],
  });

  it("gives no ratio and no verdict against a floor that added nothing measurable, and renders it as not resolved", async () => {
    const { evaluateTargets, renderTargets } = (await import("../src/targets.mjs")) as {
      evaluateTargets(results: unknown): { streamed: Array<{ addedRatio: number | null; met: boolean }> };
      renderTargets(results: unknown, labels: Record<string, string>): string[];
    };
    const results = { llm: { plain: [], stream: [line("telltale@7", 98.4), line("floor@7", -23.3)] } };
    const targets = evaluateTargets(results);
    expect(targets.streamed).toEqual([expect.objectContaining({ addedRatio: null, met: false })]);
    const table = renderTargets({ ...results, targets }, {}).join("\n");
    expect(table).toContain("no ratio: `floor@7` added nothing measurable in this run");
    expect(table).toContain("**not resolved**");
  });

  it("judges a floor that added a cost by the ratio of the added costs", async () => {
    const { evaluateTargets } = (await import("../src/targets.mjs")) as {
      evaluateTargets(results: unknown): { streamed: Array<{ addedRatio: number | null; met: boolean }> };
    };
    const targets = evaluateTargets({ llm: { plain: [], stream: [line("telltale@7", 105), line("floor@7", 100)] } });
    expect(targets.streamed).toEqual([expect.objectContaining({ addedRatio: 1.05, met: true })]);
  });
});
