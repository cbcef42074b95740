// The pipeline section's tables, and the A/A check's: Markdown for results.md and docs/performance.md.

const fixed = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const times = (entry, digits = 2) => `${fixed(entry.median, digits)}× (${fixed(entry.min, digits)}–${fixed(entry.max, digits)})`;
const thousands = (value) => Math.round(value).toLocaleString("en-US");

/** What each line is, in the words of the table. */
export const LINE_LABELS = {
  bare: "no telemetry",
  otel: "`@opentelemetry/instrumentation-openai`",
  traceloop: "`@traceloop/instrumentation-openai`",
  arize: "`@arizeai/openinference-instrumentation-openai`",
  telltale: "Telltale, `@telltale/node` defaults (in-process sampler)",
  "telltale-collector": "Telltale, `TELLTALE_SAMPLING=collector` (export everything)",
};

const FAULT_LABELS = {
  rate_limit: "429 once, retried by the SDK",
  context_length: "400 context length, workflow fails",
  truncated: "answer truncated",
  refusal: "model refusal",
  tool_error: "tool throws",
  empty_tool_result: "tool returns nothing",
  partial: "a step of the manifest skipped",
  stream_aborted: "stream read no further",
};

const failureCell = (counts) => `${counts.complete} of ${counts.complete + counts.incomplete + counts.missing}`;

/** The pipeline table, one row per line (also rebuilt by the docs test from the headline data). */
export function renderPipelineTable(lines) {
  const rows = [
    "| line | CPU µs / workflow | above no telemetry | bytes sent / workflow | spans sent / workflow | heap high-water MB | failure traces complete |",
    "|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const line of lines) {
    const added = line.addedCpuUs ? `+${thousands(line.addedCpuUs.median)}` : "–";
    rows.push(
      `| ${LINE_LABELS[line.line] ?? line.line} | ${thousands(line.cpuUs.median)} (${thousands(line.cpuUs.min)}–${thousands(line.cpuUs.max)}) | ` +
        `${added} | ${thousands(line.bytesPerWorkflow.median)} | ${fixed(line.spansPerWorkflow.median, 2)} | ` +
        `${fixed(line.heapHighWaterMb.median)} | ${line.line === "bare" ? "–" : failureCell(line.failures)} |`,
    );
  }
  return rows;
}

function renderFailureTable(lines) {
  const instrumented = lines.filter((line) => line.line !== "bare");
  const faults = Object.keys(FAULT_LABELS).filter((fault) => instrumented.some((line) => line.failures.byFault[fault]));
  const rows = [
    `| failure | ${instrumented.map((line) => line.line).join(" | ")} |`,
    `|---|${instrumented.map(() => "---:").join("|")}|`,
  ];
  for (const fault of faults) {
    const cells = instrumented.map((line) => {
      const counts = line.failures.byFault[fault];
      if (!counts) return "–";
      return counts.arrived ? `${failureCell(counts)} (${counts.arrived})` : failureCell(counts);
    });
    rows.push(`| ${FAULT_LABELS[fault]} | ${cells.join(" | ")} |`);
  }
  return rows;
}

function renderComparisons(pipeline) {
  return pipeline.comparisons.map((comparison) => {
    const added = comparison.addedCpuRatio ? `, ${times(comparison.addedCpuRatio)} of its CPU above no telemetry` : "";
    return (
      `- ${LINE_LABELS[comparison.line]} against the cheapest other instrumentation here, ${LINE_LABELS[comparison.anchor]}, round by ` +
      `round: ${times(comparison.cpuRatio)} its CPU per workflow${added}; ${fixed(comparison.bytesRatio, 3)}× its bytes ` +
      `and ${fixed(comparison.spansRatio, 3)}× its spans on the wire.`
    );
  });
}

export function renderPipeline(pipeline) {
  const telltale = pipeline.lines.find((line) => line.line === "telltale");
  const lines = [
    "## The whole pipeline: an agent's workflows, exported",
    "",
    "What a user pays: the same agent in every line, a triage workflow of three steps (plan, research, answer) with " +
      "three `chat.completions.create` calls through the real `openai` 6 SDK (the answer streamed, 20 chunks with " +
      "usage) over an in-process `fetch`, and two tools. Two workflows in every 25 (8 %) fail, each in one of eight " +
      "ways in turn (below). Each line exports over OTLP/HTTP (protobuf; gzipped by `@telltale/node`'s default, " +
      "uncompressed by the other lines' exporter default) to a live receiver on " +
      "loopback, in a process of its own so that its CPU is not counted. The other OpenTelemetry instrumentations of " +
      "`openai`, the ones users would pick instead, run through the OpenTelemetry Node SDK with the OTLP/HTTP trace exporter (a `BatchSpanProcessor`), the workflow, steps and tools as plain " +
      "spans made by hand; Telltale through `@telltale/node`'s `start()`, the structure marked with " +
      "`@telltale/core` (manifest, budget, deadline). Metrics and logs are off in every line " +
      "(`OTEL_METRICS_EXPORTER=none`, `OTEL_LOGS_EXPORTER=none`). *Bytes* are the OTLP request bodies the receiver " +
      "got; *heap high-water* is the most V8 heap in use seen between workflows; a failure trace is *complete* when " +
      "every span of it arrived, the root among them.",
    "",
    ...renderPipelineTable(pipeline.lines),
    "",
    ...renderComparisons(pipeline),
  ];
  if (telltale?.healthyChecked) {
    const healthy = telltale.healthyChecked;
    const others = pipeline.lines.filter((line) => !["bare", "telltale"].includes(line.line));
    const whole = others.filter((line) => line.healthyChecked.incomplete + line.healthyChecked.missing === 0);
    lines.push(
      `- Healthy traces: of ${thousands(healthy.complete + healthy.incomplete + healthy.missing)} checked per line, ` +
        `Telltale's in-process sampler exported ${healthy.complete} whole (its 5 % baseline)` +
        (others.length === 0 ? "." : whole.length === others.length ? "; every other line exported all of them whole." : `; ${whole.map((line) => line.line).join(", ") || "no other line"} exported all of them whole.`),
    );
  }
  lines.push("", "Failure traces that arrived complete, by how the workflow failed (all repetitions):", "");
  lines.push(...renderFailureTable(pipeline.lines));
  return lines;
}

function aaRow(label, aa) {
  if (!aa) return [];
  const interval = aa.confidence ? `${fixed(aa.confidence.low, 3)}–${fixed(aa.confidence.high, 3)}` : "–";
  const needed = aa.repetitionsNeeded ?? "more than 100";
  return [
    `| ${label} | ${aa.reps} | ${fixed(aa.ratio.median, 3)}× (${fixed(aa.ratio.min, 3)}–${fixed(aa.ratio.max, 3)}) | ` +
      `${interval} | ${aa.withinTolerance ? "yes" : "no"} | ${needed} |`,
  ];
}

/** The A/A check of every section that ran one. */
export function renderAa(results) {
  const pipelineAa = results.pipeline?.aa;
  const llmAa = results.llmAa;
  if (!pipelineAa && !llmAa) return [];
  return [
    "## A/A check",
    "",
    "A line and its twin, the same code in two processes, run as two lines of the comparison. The method is sound " +
      "when the twin's ratio to the line is 1 within ±2 %: here, when the 95 % confidence interval of the median " +
      "over repetitions (distribution-free) lies within 0.98–1.02. *Repetitions needed* is the fewest repetitions " +
      "for which 95 % of medians drawn from this run's per-repetition ratios (a seeded bootstrap) fall within ±2 %.",
    "",
    "| comparison | repetitions | twin / line, CPU | 95 % interval | within ±2 % | repetitions needed |",
    "|---|---:|---:|---:|---|---:|",
    ...aaRow(`pipeline: ${LINE_LABELS[pipelineAa?.line] ?? pipelineAa?.line}`, pipelineAa),
    ...aaRow(`per call (plain): \`${llmAa?.plain?.line}\``, llmAa?.plain),
    ...aaRow(`per call (stream): \`${llmAa?.stream?.line}\``, llmAa?.stream),
  ];
}
