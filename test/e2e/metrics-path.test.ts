/**
 * The metrics path, real: the collector running deploy/collector/tail-sampling.yaml pushes its span metrics and the
 * apps' GenAI metrics to a real Prometheus (deploy/prometheus/prometheus.yaml, OTLP receiver on), which evaluates
 * deploy/prometheus/alerts.yaml. A tool failing repeatedly fires TelltaleToolFailing; one slow tool among many fast
 * calls moves p99 past its threshold and fires TelltaleToolP99High while p50 stays where it was (F13).
 *
 * Prometheus evaluates the rules every second instead of every 30 s, and the latency alert's `for: 5m` is 3 s in the
 * rule file this test loads (a copy of alerts.yaml with only `for:` changed): expressions, windows and thresholds
 * are the shipped ones.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_TELLTALE_ERROR_CLASS,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
} from "@telltale/core/attributes";
import { startMockLlm, type MockLlm } from "@telltale/mock-llm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ALERT_RULES,
  alertRulesWithFor,
  goBinaries,
  pollUntil,
  postOtlpJson,
  REPO_ROOT,
  runTelltaleApp,
  startJaeger,
  startPrometheus,
  startSamplingCollector,
  type AppRun,
  type RunningJaeger,
  type RunningPrometheus,
  type SamplingCollector,
} from "../support/index.js";
import { dashboardQueryChecks } from "../support/dashboard.js";

const runFile = promisify(execFile);
const TOOL_SERVICE = "metrics-e2e-tools";
const APP_SERVICE = "metrics-e2e-app";
const TEST_FOR = "3s";

let jaeger: RunningJaeger | undefined;
let prometheus: RunningPrometheus | undefined;
let collector: SamplingCollector | undefined;
let mock: MockLlm | undefined;

beforeAll(async () => {
  goBinaries();
  [jaeger, prometheus] = await Promise.all([
    startJaeger(),
    startPrometheus({ ruleFiles: [alertRulesWithFor(ALERT_RULES, TEST_FOR)], evaluationInterval: "1s" }),
  ]);
  collector = await startSamplingCollector({ name: "metrics-path", jaeger, metricsEndpoint: prometheus.otlpMetricsUrl });
  mock = await startMockLlm({ port: 0, seed: 5 });
}, 900_000);

afterAll(async () => {
  await mock?.close();
  await collector?.stop();
  await Promise.all([prometheus?.stop(), jaeger?.stop()]);
});

interface ToolCall {
  tool: string;
  durationMs: number;
  failed?: boolean;
}

const hex = (length: number): string => Array.from({ length }, () => Math.floor(Math.random() * 16).toString(16)).join("");
const stringAttribute = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** One agent run per call (an `invoke_agent` root and one `execute_tool` span), as OTLP/JSON, ended just now. */
function agentRuns(calls: readonly ToolCall[]): unknown {
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const spans = calls.flatMap((call) => {
    const traceId = hex(32);
    const rootId = hex(16);
    const startNs = nowNs - BigInt(call.durationMs + 5) * 1_000_000n;
    const toolEndNs = startNs + BigInt(call.durationMs) * 1_000_000n;
    return [
      {
        traceId,
        spanId: rootId,
        name: "invoke_agent triage",
        kind: 1,
        startTimeUnixNano: String(startNs),
        endTimeUnixNano: String(nowNs),
        attributes: [stringAttribute(ATTR_GEN_AI_OPERATION_NAME, GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT)],
      },
      {
        traceId,
        spanId: hex(16),
        parentSpanId: rootId,
        name: `execute_tool ${call.tool}`,
        kind: 1,
        startTimeUnixNano: String(startNs),
        endTimeUnixNano: String(toolEndNs),
        attributes: [
          stringAttribute(ATTR_GEN_AI_OPERATION_NAME, GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL),
          stringAttribute(ATTR_GEN_AI_TOOL_NAME, call.tool),
          ...(call.failed ? [stringAttribute(ATTR_TELLTALE_ERROR_CLASS, "server_error")] : []),
        ],
        status: call.failed ? { code: 2, message: "backend unavailable" } : { code: 0 },
      },
    ];
  });
  return {
    resourceSpans: [
      {
        resource: { attributes: [stringAttribute("service.name", TOOL_SERVICE)] },
        scopeSpans: [{ scope: { name: "telltale-e2e" }, spans }],
      },
    ],
  };
}

const repeat = (count: number, call: ToolCall): ToolCall[] => Array.from({ length: count }, () => call);

/** The value of a one-series query, or undefined while Prometheus has no such series. */
async function single(expr: string): Promise<number | undefined> {
  const samples = await prometheus!.client.query(expr);
  return samples.length === 1 ? samples[0]!.value : undefined;
}

async function firing(alertName: string, labels: Record<string, string>): Promise<boolean> {
  const alerts = await prometheus!.client.alerts();
  return alerts.some(
    (alert) =>
      alert.state === "firing" &&
      alert.labels.alertname === alertName &&
      Object.entries(labels).every(([key, value]) => alert.labels[key] === value),
  );
}

const errorCalls = (tool: string) =>
  `sum(traces_span_metrics_calls_total{service_name="${TOOL_SERVICE}", gen_ai_tool_name="${tool}", status_code="STATUS_CODE_ERROR"})`;
const toolQuantile = (quantile: number, tool: string) =>
  `histogram_quantile(${quantile}, sum by (le) (rate(traces_span_metrics_duration_milliseconds_bucket{service_name="${TOOL_SERVICE}", span_name="execute_tool ${tool}"}[5m])))`;
const toolCalls = (tool: string) =>
  `sum(traces_span_metrics_calls_total{service_name="${TOOL_SERVICE}", span_name="execute_tool ${tool}"})`;

function runApp(scenario: string): Promise<AppRun> {
  return runTelltaleApp("test/fixtures/app-esm.mjs", {
    MOCK_LLM_URL: mock!.url,
    SCENARIO: scenario,
    OTEL_SERVICE_NAME: APP_SERVICE,
    OTEL_EXPORTER_OTLP_ENDPOINT: collector!.otlpHttpUrl,
    TELLTALE_SAMPLING: "collector",
  });
}

describe("alert rules", () => {
  it("promtool check rules accepts deploy/prometheus/alerts.yaml", async () => {
    // The command deploy/README.md shows, with the promtool go-tools.sh built.
    const { stdout } = await runFile(goBinaries().promtool, ["check", "rules", "deploy/prometheus/alerts.yaml"], { cwd: REPO_ROOT });
    expect(stdout).toContain("SUCCESS: 5 rules found");
  });
});

describe("span metrics and app metrics in Prometheus", () => {
  it("a tool failing 3 times in 5 minutes fires TelltaleToolFailing for that tool only", async () => {
    // One failure of each tool first, so each error series exists in Prometheus before the repeated failures.
    await postOtlpJson(collector!.otlpHttpUrl, agentRuns([
      { tool: "search", durationMs: 30, failed: true },
      { tool: "fetch", durationMs: 30, failed: true },
    ]));
    await pollUntil("the first failures in Prometheus", async () =>
      (await single(errorCalls("search"))) === 1 && (await single(errorCalls("fetch"))) === 1 ? true : undefined,
    );
    await postOtlpJson(collector!.otlpHttpUrl, agentRuns(repeat(3, { tool: "search", durationMs: 30, failed: true })));
    await pollUntil("4 failed search calls in Prometheus", async () => ((await single(errorCalls("search"))) === 4 ? true : undefined));

    await pollUntil(
      "TelltaleToolFailing firing for search",
      async () => ((await firing("TelltaleToolFailing", { gen_ai_tool_name: "search", service_name: TOOL_SERVICE })) ? true : undefined),
      { timeoutMs: 60_000 },
    );
    // fetch failed once: no alert for it.
    expect(await firing("TelltaleToolFailing", { gen_ai_tool_name: "fetch" })).toBe(false);
  });

  it("one slow tool moves p99 past the threshold and fires TelltaleToolP99High while p50 stays (F13)", async () => {
    // rate() counts increases between samples: the series exist (10 calls) before the calls the quantiles read.
    await postOtlpJson(collector!.otlpHttpUrl, agentRuns(repeat(10, { tool: "lookup", durationMs: 20 })));
    await pollUntil("10 lookup calls in Prometheus", async () => ((await single(toolCalls("lookup"))) === 10 ? true : undefined));
    const fast = [...repeat(90, { tool: "lookup", durationMs: 20 }), ...repeat(100, { tool: "lookup", durationMs: 35 })];
    await postOtlpJson(collector!.otlpHttpUrl, agentRuns(fast));
    await pollUntil("200 lookup calls in Prometheus", async () => ((await single(toolCalls("lookup"))) === 200 ? true : undefined));
    const p50Before = (await single(toolQuantile(0.5, "lookup")))!;
    const p99Before = (await single(toolQuantile(0.99, "lookup")))!;
    // All fast: both in the 10-50 ms buckets.
    expect(p50Before).toBeGreaterThan(10);
    expect(p50Before).toBeLessThanOrEqual(50);
    expect(p99Before).toBeLessThanOrEqual(50);

    // Five calls of 12 s among 205 (2.5 % of the 195 calls rate() counts), so p99 lands among them; p50 does not move.
    await postOtlpJson(collector!.otlpHttpUrl, agentRuns(repeat(5, { tool: "lookup", durationMs: 12_000 })));
    await pollUntil("205 lookup calls in Prometheus", async () => ((await single(toolCalls("lookup"))) === 205 ? true : undefined));
    const p99After = await pollUntil("p99 of lookup over 10 s", async () => {
      const value = await single(toolQuantile(0.99, "lookup"));
      return value !== undefined && value > 10_000 ? value : undefined;
    });
    const p50After = (await single(toolQuantile(0.5, "lookup")))!;
    expect(p99After).toBeGreaterThan(10_000);
    expect(p50After).toBeGreaterThan(10);
    expect(p50After).toBeLessThanOrEqual(50);

    await pollUntil(
      "TelltaleToolP99High firing for execute_tool lookup",
      async () =>
        (await firing("TelltaleToolP99High", { span_name: "execute_tool lookup", service_name: TOOL_SERVICE })) ? true : undefined,
      { timeoutMs: 60_000 },
    );
    // The recording rule the alert reads carries the same p99.
    const recorded = await single(
      `telltale:span_duration_ms:p99_5m{service_name="${TOOL_SERVICE}", span_name="execute_tool lookup"}`,
    );
    expect(recorded).toBeGreaterThan(10_000);
    // No other tool's latency alert: search and fetch were fast.
    const latencyAlerts = (await prometheus!.client.alerts()).filter((alert) => alert.labels.alertname === "TelltaleToolP99High");
    expect(latencyAlerts.map((alert) => alert.labels.span_name)).toEqual(["execute_tool lookup"]);
  });

  it("an app's GenAI client metrics (operation duration, token usage) and its spans arrive in Prometheus", async () => {
    for (const scenario of ["ok", "rate_limit_then_ok"]) {
      const result = await runApp(scenario);
      expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
    }
    const durationCount = await pollUntil("gen_ai.client.operation.duration of the app", async () => {
      const value = await single(`sum(gen_ai_client_operation_duration_seconds_count{service_name="${APP_SERVICE}"})`);
      return value !== undefined && value >= 2 ? value : undefined;
    });
    expect(durationCount).toBe(2);
    const tokenSeries = await prometheus!.client.series(`gen_ai_client_token_usage_count{service_name="${APP_SERVICE}"}`);
    // Input and output tokens of each of the two app processes.
    expect(tokenSeries.map((series) => series.gen_ai_token_type).sort()).toEqual(["input", "input", "output", "output"]);
    expect(tokenSeries[0]).toMatchObject({ gen_ai_operation_name: "chat", gen_ai_provider_name: "openai", gen_ai_request_model: "gpt-4o-mini" });
    // The same calls seen as spans, counted before sampling.
    const chatSpans = await pollUntil("the app's chat spans in the span metrics", async () => {
      const value = await single(`sum(traces_span_metrics_calls_total{service_name="${APP_SERVICE}", gen_ai_operation_name="chat"})`);
      return value !== undefined && value >= 2 ? value : undefined;
    });
    expect(chatSpans).toBe(2);
    // The SDK's two retries of the rate-limited call, counted by the app (F1).
    const retries = await pollUntil("telltale.retries of the app", () =>
      single(`sum(telltale_retries_total{service_name="${APP_SERVICE}", telltale_error_class="rate_limit"})`),
    );
    expect(retries).toBe(2);
  });

  it("every query of the Grafana dashboard names metrics and labels the pipeline produces", async () => {
    const checks = await dashboardQueryChecks(prometheus!.client);
    expect(checks.length).toBeGreaterThan(5);
    const problems = checks.flatMap((check) => check.problems.map((problem) => `${check.panel}: ${problem}`));
    expect(problems).toEqual([]);
    // Both halves of the pipeline are on the dashboard.
    const metrics = new Set(checks.flatMap((check) => check.metrics));
    expect([...metrics]).toEqual(
      expect.arrayContaining([
        "traces_span_metrics_calls_total",
        "traces_span_metrics_duration_milliseconds_bucket",
        "telltale:span_duration_ms:p99_5m",
        "gen_ai_client_operation_duration_seconds_bucket",
        "gen_ai_client_token_usage_sum",
      ]),
    );
  });

  it("the dashboard check reports a metric, a label or a value the pipeline does not produce", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "telltale-dashboard-")), "dashboard.json");
    const target = (expr: string) => ({ title: expr, targets: [{ expr }] });
    writeFileSync(
      file,
      JSON.stringify({
        panels: [
          target('sum by (gen_ai_tool_name) (rate(traces_span_metrics_calls{service_name=~"$service"}[$__rate_interval]))'),
          target('sum by (tool_name) (rate(traces_span_metrics_calls_total{gen_ai_tool="search"}[5m]))'),
          target('traces_span_metrics_calls_total{status_code="ERROR"}'),
        ],
      }),
    );
    const checks = await dashboardQueryChecks(prometheus!.client, file);
    expect(checks.map((check) => check.problems)).toEqual([
      ["no metric traces_span_metrics_calls", "grouped by gen_ai_tool_name, which traces_span_metrics_calls does not carry"],
      [
        "traces_span_metrics_calls_total has no label gen_ai_tool",
        "grouped by tool_name, which traces_span_metrics_calls_total does not carry",
      ],
      ['traces_span_metrics_calls_total has no series with status_code="ERROR"'],
    ]);
  });
});
