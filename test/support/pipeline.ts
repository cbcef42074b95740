import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startCollector, type ConfigObject, type RunningCollector } from "./collector.js";
import { REPO_ROOT } from "./go-binaries.js";
import type { RunningJaeger } from "./jaeger.js";

export const TAIL_SAMPLING_CONFIG = path.join(REPO_ROOT, "deploy/collector/tail-sampling.yaml");
export const LOAD_BALANCER_CONFIG = path.join(REPO_ROOT, "deploy/collector/two-tier/load-balancer.yaml");

/**
 * Test-only timing for deploy/collector/tail-sampling.yaml: the deploy file waits 10 s after a root span (sized for
 * agent runs); the tests decide 1 s after it so the suite stays short. Nothing else in the file is changed.
 */
export const TEST_DECISION_TIMING = { decision_wait: "5s", decision_wait_after_root_received: "1s" } as const;

export interface SamplingCollector extends RunningCollector {
  /** Sum of `traces.span.metrics.calls` data points the span_metrics connector wrote so far (file exporter). */
  spanMetricsCalls(): number;
  /** `service/metric` names of the apps' own OTLP metrics the collector passed on (the `metrics/app` pipeline). */
  appMetricNames(): string[];
}

export interface StartSamplingCollectorOptions {
  name: string;
  jaeger: RunningJaeger;
  /** Replaces the tail_sampling block (e.g. a policy rendered for the conformance corpus). */
  tailSampling?: ConfigObject;
  /**
   * An OTLP/HTTP metrics URL (a Prometheus' OTLP receiver): both metrics pipelines export there through the
   * config's own `otlp_http/metrics` exporter. Without it they write to files the test reads.
   */
  metricsEndpoint?: string;
}

/**
 * A collector running deploy/collector/tail-sampling.yaml unchanged, exporting kept traces to `jaeger`; only the
 * decision timing, the span metrics flush interval (1 s) and, without `metricsEndpoint`, the destination of both
 * metrics pipelines (files, so tests can read them) are overridden.
 */
export async function startSamplingCollector(options: StartSamplingCollectorOptions): Promise<SamplingCollector> {
  const directory = mkdtempSync(path.join(tmpdir(), `telltale-${options.name}-metrics-`));
  const metricsFile = path.join(directory, "spanmetrics.jsonl");
  const appMetricsFile = path.join(directory, "appmetrics.jsonl");
  const collector = await startCollector({
    name: options.name,
    configFiles: [TAIL_SAMPLING_CONFIG],
    env: {
      TELLTALE_TRACES_OTLP_ENDPOINT: options.jaeger.otlpGrpcEndpoint,
      ...(options.metricsEndpoint ? { TELLTALE_METRICS_OTLP_ENDPOINT: options.metricsEndpoint } : {}),
    },
    config: () => ({
      processors: { tail_sampling: { ...(options.tailSampling ?? {}), ...TEST_DECISION_TIMING } },
      connectors: { span_metrics: { metrics_flush_interval: "1s" } },
      ...(options.metricsEndpoint
        ? {}
        : {
            exporters: {
              "file/spanmetrics": { path: metricsFile, format: "json" },
              "file/appmetrics": { path: appMetricsFile, format: "json" },
            },
            service: {
              pipelines: { "metrics/spans": { exporters: ["file/spanmetrics"] }, "metrics/app": { exporters: ["file/appmetrics"] } },
            },
          }),
    }),
  });
  return {
    name: collector.name,
    ports: collector.ports,
    otlpHttpUrl: collector.otlpHttpUrl,
    otlpGrpcEndpoint: collector.otlpGrpcEndpoint,
    get process() {
      return collector.process;
    },
    stop: () => collector.stop(),
    kill: () => collector.kill(),
    restart: () => collector.restart(),
    spanMetricsCalls: () => countSpanMetricCalls(metricsFile),
    appMetricNames: () => metricNames(appMetricsFile),
  };
}

interface MetricsLine {
  resourceMetrics?: {
    resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] };
    scopeMetrics?: { metrics?: { name: string; sum?: { dataPoints?: { asInt?: string | number }[] } }[] }[];
  }[];
}

function metricsLines(file: string): MetricsLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as MetricsLine);
}

/** `service/metric` for every metric in the file. */
function metricNames(file: string): string[] {
  return metricsLines(file).flatMap((line) =>
    (line.resourceMetrics ?? []).flatMap((resource) => {
      const service = resource.resource?.attributes?.find((attribute) => attribute.key === "service.name")?.value?.stringValue;
      return (resource.scopeMetrics ?? []).flatMap((scope) => (scope.metrics ?? []).map((metric) => `${String(service)}/${metric.name}`));
    }),
  );
}

/** The latest cumulative calls count per series, summed: how many spans the connector has seen. */
function countSpanMetricCalls(file: string): number {
  if (!existsSync(file)) return 0;
  const latestBySeries = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const parsed = JSON.parse(line) as MetricsLine;
    for (const resource of parsed.resourceMetrics ?? []) {
      for (const scope of resource.scopeMetrics ?? []) {
        for (const metric of scope.metrics ?? []) {
          if (metric.name !== "traces.span.metrics.calls") continue;
          for (const point of metric.sum?.dataPoints ?? []) {
            const series = JSON.stringify(point, (key, value: unknown) =>
              ["asInt", "timeUnixNano", "startTimeUnixNano", "exemplars"].includes(key) ? undefined : value,
            );
            latestBySeries.set(series, Number(point.asInt ?? 0));
          }
        }
      }
    }
  }
  return [...latestBySeries.values()].reduce((sum, count) => sum + count, 0);
}
