/**
 * The pieces every load scenario shares: the sink process, a sampling collector on deploy/collector/tail-sampling.yaml
 * (the generated file unchanged but for endpoints, self-telemetry and what a scenario says it changes), the step
 * measurements and the completeness check of what arrived.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, pollUntil, startCollector, TAIL_SAMPLING_CONFIG, type ConfigObject, type RunningCollector } from "../support/index.js";
import type { LoadGenerator, PhaseResult, SentTrace } from "./generator.js";
import { cpuSeconds, CpuCap, loadAverage1m, metric, residentMiB, scrapeMetrics, type MetricSums } from "./observe.js";

const SINK_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "sink.mjs");

export interface SinkReport {
  spans: number;
  /** trace id -> [spans received, names of the collectors that sent them] */
  traces: Map<string, [number, string[]]>;
}

export interface Sink {
  readonly tracesEndpoint: string;
  readonly metricsUrl: string;
  report(): Promise<SinkReport>;
  stop(): void;
}

export async function startSink(): Promise<Sink> {
  const child: ChildProcess = fork(SINK_SCRIPT, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const ready = await new Promise<{ tracesPort: number; metricsPort: number }>((resolve, reject) => {
    child.once("message", (message) => resolve(message as { tracesPort: number; metricsPort: number }));
    child.once("exit", (code) => reject(new Error(`sink exited with ${code}`)));
  });
  return {
    tracesEndpoint: `127.0.0.1:${ready.tracesPort}`,
    metricsUrl: `http://127.0.0.1:${ready.metricsPort}/v1/metrics`,
    report: () =>
      new Promise((resolve) => {
        child.once("message", (message) => {
          const body = message as { spans: number; traces: [string, number, string[]][] };
          resolve({ spans: body.spans, traces: new Map(body.traces.map(([id, spans, senders]) => [id, [spans, senders]])) });
        });
        child.send({ type: "report" });
      }),
    stop: () => child.kill(),
  };
}

export interface MeasuredCollector {
  readonly name: string;
  readonly collector: RunningCollector;
  readonly telemetryPort: number;
  readonly cap?: CpuCap;
  readonly capCores?: number;
  /** Re-applies the CPU cap after a restart (a new process). */
  recap(): void;
  stop(): Promise<void>;
}

export interface SamplingCollectorOptions {
  name: string;
  sink: Sink;
  /** false: the reference line, the same config with tail_sampling taken out of the traces/sampled pipeline. */
  tailSampling: boolean;
  /** Go's GOMAXPROCS: 1 measures one core's worth. */
  gomaxprocs: number;
  /** Caps the collector at this many cores (cgroup), where the machine allows it. */
  capCores?: number;
  /** Further overrides of the deployed config (merged last). */
  overrides?: ConfigObject;
  /** More environment for the collector process (e.g. GOMEMLIMIT). */
  env?: Record<string, string>;
}

export async function startMeasuredSampler(options: SamplingCollectorOptions): Promise<MeasuredCollector> {
  const telemetryPort = await freePort();
  const collector = await startCollector({
    name: options.name,
    configFiles: [TAIL_SAMPLING_CONFIG],
    telemetryMetricsPort: telemetryPort,
    env: {
      TELLTALE_TRACES_OTLP_ENDPOINT: options.sink.tracesEndpoint,
      TELLTALE_METRICS_OTLP_ENDPOINT: options.sink.metricsUrl,
      GOMAXPROCS: String(options.gomaxprocs),
      ...(options.env ?? {}),
    },
    config: () => ({
      exporters: { "otlp_grpc/traces": { headers: { "x-telltale-sender": options.name } } },
      ...(options.tailSampling
        ? {}
        : { service: { pipelines: { "traces/sampled": { processors: ["memory_limiter", "batch"] } } } }),
      ...(options.overrides ?? {}),
    }),
  });
  return measured(options.name, collector, telemetryPort, options.capCores);
}

export function measured(name: string, collector: RunningCollector, telemetryPort: number, capCores?: number): MeasuredCollector {
  const cap = capCores === undefined ? undefined : CpuCap.create(name, capCores);
  const apply = (): void => {
    if (cap && collector.process.pid !== undefined) cap.add(collector.process.pid);
  };
  apply();
  return {
    name,
    collector,
    telemetryPort,
    cap,
    capCores: cap ? capCores : undefined,
    recap: apply,
    async stop() {
      await collector.stop();
      cap?.remove();
    },
  };
}

interface Snapshot {
  pid: number;
  cpu: number;
  metrics: MetricSums;
}

/**
 * CPU and metrics of one collector process; waits (up to 30 s) for one being restarted to serve its metrics again.
 * A process that exits between the two readings (stopped or killed under load) is read again as its successor.
 */
async function snapshot(target: MeasuredCollector): Promise<Snapshot> {
  return pollUntil(
    `${target.name}'s own metrics`,
    async () => {
      const pid = target.collector.process.pid!;
      const cpu = cpuSeconds(pid);
      const metrics = await scrapeMetrics(target.telemetryPort);
      if (target.collector.process.pid !== pid) throw new Error(`${target.name} was restarted while being read`);
      return { pid, cpu, metrics };
    },
    { intervalMs: 200 },
  );
}

export interface CollectorStep {
  name: string;
  /** CPU cores used on average during the step. */
  cores: number;
  capCores?: number;
  rssMiB: number;
  peakRssMiB: number;
  heapMiB: number;
  /** Traces the tail-sampling processor holds at the end of the step (undecided and waiting). */
  tracesInMemory: number;
  spansReceived: number;
  spansRefusedByReceiver: number;
  tracesDroppedTooEarly: number;
  exporterSendFailedSpans: number;
  exporterEnqueueFailedSpans: number;
}

export interface StepResult extends PhaseResult {
  loadAverage1m: number;
  spansPerSecond: number;
  collectors: CollectorStep[];
  /** Why the collector(s) fell behind in this step, empty when it kept up. */
  behind: string[];
}

function collectorStep(target: MeasuredCollector, before: Snapshot, after: Snapshot, seconds: number): CollectorStep {
  // A collector restarted during the step is a new process: its counters and CPU time start from zero.
  const restarted = after.pid !== before.pid;
  const delta = (prefix: string, suffix = ""): number =>
    metric(after.metrics, prefix, suffix) - (restarted ? 0 : metric(before.metrics, prefix, suffix));
  const memory = residentMiB(after.pid);
  return {
    name: target.name,
    cores: (after.cpu - (restarted ? 0 : before.cpu)) / seconds,
    capCores: target.capCores,
    rssMiB: memory.rss,
    peakRssMiB: memory.peak,
    heapMiB: metric(after.metrics, "otelcol_process_runtime_heap_alloc_bytes") / 2 ** 20,
    tracesInMemory: metric(after.metrics, "otelcol_processor_tail_sampling_sampling_traces_on_memory"),
    spansReceived: delta("otelcol_receiver_accepted_spans"),
    spansRefusedByReceiver: delta("otelcol_receiver_refused_spans"),
    tracesDroppedTooEarly: delta("otelcol_processor_tail_sampling_sampling_trace_dropped_too_early"),
    exporterSendFailedSpans: delta("otelcol_exporter_send_failed_spans"),
    exporterEnqueueFailedSpans: delta("otelcol_exporter_enqueue_failed_spans"),
  };
}

/**
 * One step: the generator sends at `spansPerSecond` for `seconds` into the first of `targets` (the collector apps
 * export to), and every target is measured over the same window.
 */
export async function measureStep(
  generator: LoadGenerator,
  targets: readonly MeasuredCollector[],
  phase: string,
  spansPerSecond: number,
  seconds: number,
): Promise<StepResult> {
  const before = await Promise.all(targets.map(snapshot));
  const started = Date.now();
  const sent = await generator.run(phase, spansPerSecond, seconds);
  const elapsed = (Date.now() - started) / 1000;
  const after = await Promise.all(targets.map(snapshot));
  const collectors = targets.map((target, index) => collectorStep(target, before[index]!, after[index]!, elapsed));
  const behind: string[] = [];
  if (sent.spansRefused > 0) behind.push(`refused ${sent.spansRefused} spans (${JSON.stringify(sent.refusedStatuses)})`);
  if (sent.spansBehind > 0.01 * spansPerSecond * seconds) behind.push(`could not send ${Math.round(sent.spansBehind)} spans on time`);
  for (const step of collectors) {
    if (step.tracesDroppedTooEarly > 0) behind.push(`${step.name} dropped ${step.tracesDroppedTooEarly} traces before deciding`);
    if (step.exporterEnqueueFailedSpans > 0) behind.push(`${step.name} could not queue ${step.exporterEnqueueFailedSpans} spans for export`);
    const limit = step.capCores ?? Number.POSITIVE_INFINITY;
    if (step.cores >= 0.95 * limit) behind.push(`${step.name} used its whole CPU cap (${step.cores.toFixed(2)} of ${limit} cores)`);
  }
  return {
    ...sent,
    loadAverage1m: loadAverage1m(),
    spansPerSecond: sent.spansAccepted / elapsed,
    collectors,
    behind,
  };
}

export interface Completeness {
  phase: string;
  /** Failing traces sent and accepted whole (the refused ones are counted in failingRefused only). */
  failingSent: number;
  /** Failing traces the collector refused in whole or in part (HTTP 503 from memory_limiter); not counted below. */
  failingRefused: number;
  failingComplete: number;
  failingPartial: number;
  failingMissing: number;
  healthySent: number;
  healthyKept: number;
  keptIncomplete: number;
  /** Traces whose spans came from more than one sampling collector. */
  split: number;
}

/** Per phase: did every failing trace the collector accepted arrive whole, and did any kept trace arrive in parts? */
export function completeness(sent: ReadonlyMap<string, SentTrace>, report: SinkReport, phases: readonly string[]): Completeness[] {
  const byPhase = new Map<string, Completeness>(
    phases.map((phase) => [
      phase,
      { phase, failingSent: 0, failingRefused: 0, failingComplete: 0, failingPartial: 0, failingMissing: 0, healthySent: 0, healthyKept: 0, keptIncomplete: 0, split: 0 },
    ]),
  );
  for (const [traceId, trace] of sent) {
    const row = byPhase.get(trace.phase);
    if (!row) continue;
    if (!trace.accepted) {
      if (trace.traceClass !== "healthy") row.failingRefused += 1;
      continue;
    }
    const received = report.traces.get(traceId);
    const spans = received?.[0] ?? 0;
    if (received && received[1].length > 1) row.split += 1;
    if (received && spans !== trace.spanCount) row.keptIncomplete += 1;
    if (trace.traceClass === "healthy") {
      row.healthySent += 1;
      if (received) row.healthyKept += 1;
      continue;
    }
    row.failingSent += 1;
    if (spans === trace.spanCount) row.failingComplete += 1;
    else if (spans === 0) row.failingMissing += 1;
    else row.failingPartial += 1;
  }
  return [...byPhase.values()];
}

/** Waits until the sink has received nothing new for `quietMs` (decisions made, batches exported). */
export async function drained(sink: Sink, quietMs: number, timeoutMs = 120_000): Promise<SinkReport> {
  const deadline = Date.now() + timeoutMs;
  let last = await sink.report();
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = await sink.report();
    if (now.spans !== last.spans) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return now;
    last = now;
  }
  return last;
}
