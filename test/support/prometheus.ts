import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse, stringify } from "yaml";
import { goBinaries, REPO_ROOT } from "./go-binaries.js";
import { freePort, ManagedProcess, waitUntilHealthy } from "./processes.js";

export const PROMETHEUS_CONFIG = path.join(REPO_ROOT, "deploy/prometheus/prometheus.yaml");
export const ALERT_RULES = path.join(REPO_ROOT, "deploy/prometheus/alerts.yaml");

/** Prometheus with its OTLP receiver on, running deploy/prometheus/prometheus.yaml, on a loopback port chosen at run time. */
export interface RunningPrometheus {
  readonly url: string;
  /** Where the collector's `otlp_http/metrics` exporter pushes (TELLTALE_METRICS_OTLP_ENDPOINT). */
  readonly otlpMetricsUrl: string;
  readonly process: ManagedProcess;
  readonly client: PrometheusClient;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** Rule files to load instead of the container path the shipped config names. */
  ruleFiles: readonly string[];
  /** Replaces the shipped 30 s rule evaluation interval (the tests evaluate every second). */
  evaluationInterval: string;
}

/**
 * Starts Prometheus on the shipped deploy/prometheus/prometheus.yaml; only the rule file paths (the shipped file
 * names the compose container's path) and the evaluation interval are replaced.
 */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const port = await freePort();
  const directory = mkdtempSync(path.join(tmpdir(), "telltale-prometheus-"));
  const config = parse(readFileSync(PROMETHEUS_CONFIG, "utf8")) as { global?: Record<string, unknown>; rule_files?: string[] };
  config.global = { ...config.global, evaluation_interval: options.evaluationInterval };
  config.rule_files = [...options.ruleFiles];
  const configFile = path.join(directory, "prometheus.yaml");
  writeFileSync(configFile, stringify(config));
  const url = `http://127.0.0.1:${port}`;
  const child = new ManagedProcess("prometheus", goBinaries().prometheus, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${path.join(directory, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--web.enable-otlp-receiver",
    "--log.level=warn",
  ]);
  try {
    await waitUntilHealthy(child, `${url}/-/ready`);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    url,
    otlpMetricsUrl: `${url}/api/v1/otlp/v1/metrics`,
    process: child,
    client: new PrometheusClient(url),
    stop: () => child.stop(),
  };
}

/** A copy of an alert rule file with every `for:` replaced, written to a temporary file; returns its path. */
export function alertRulesWithFor(source: string, forDuration: string): string {
  const rules = parse(readFileSync(source, "utf8")) as { groups: { rules: { for?: string }[] }[] };
  for (const group of rules.groups) {
    for (const rule of group.rules) if (rule.for !== undefined) rule.for = forDuration;
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), "telltale-rules-")), path.basename(source));
  writeFileSync(file, stringify(rules));
  return file;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PromAlert {
  labels: Record<string, string>;
  state: "pending" | "firing" | string;
  value: string;
}

/** Prometheus' HTTP API (`/api/v1/*`). */
export class PrometheusClient {
  constructor(readonly baseUrl: string) {}

  private async get<T>(pathAndQuery: string): Promise<T> {
    const response = await fetch(`${this.baseUrl}${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== "success") throw new Error(`Prometheus ${pathAndQuery}: ${body.error ?? response.status}`);
    return body.data;
  }

  /** An instant query: one sample per series. */
  async query(expr: string): Promise<PromSample[]> {
    const data = await this.get<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(expr)}`,
    );
    return data.result.map((entry) => ({ metric: entry.metric, value: Number(entry.value[1]) }));
  }

  /** Every metric name Prometheus holds. */
  async metricNames(): Promise<string[]> {
    return this.get<string[]>("/api/v1/label/__name__/values");
  }

  /** The label sets of the series a selector matches. */
  async series(selector: string): Promise<Record<string, string>[]> {
    return this.get<Record<string, string>[]>(`/api/v1/series?match[]=${encodeURIComponent(selector)}`);
  }

  /** Active alerts (pending and firing). */
  async alerts(): Promise<PromAlert[]> {
    return (await this.get<{ alerts: PromAlert[] }>("/api/v1/alerts")).alerts;
  }

  /** Prometheus' own parse of a PromQL expression (its AST as JSON). */
  async parseQuery(expr: string): Promise<unknown> {
    return this.get<unknown>(`/api/v1/parse_query?query=${encodeURIComponent(expr)}`);
  }
}
