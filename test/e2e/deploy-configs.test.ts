/**
 * Every config in deploy/ is accepted by the real collector binary (`otelcol validate`), the generated files match a
 * fresh render of the sampler's policy, and the compose/Kubernetes/alerting files run
 * the same configs, the same release, and alert on what the span metrics carry.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { COLLECTOR_CONTRIB_VERSION, parsePolicyText, renderCollectorConfig } from "@telltale/sampler";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { validateCollectorConfig } from "../support/collector.js";
import { goBinaries, REPO_ROOT } from "../support/go-binaries.js";

const deployPath = (...parts: string[]): string => path.join(REPO_ROOT, "deploy", ...parts);
const readDeploy = (...parts: string[]): string => readFileSync(deployPath(...parts), "utf8");

interface Pipeline {
  receivers: string[];
  processors?: string[];
  exporters: string[];
}
interface CollectorConfig {
  processors: Record<string, Record<string, unknown>>;
  connectors?: Record<string, unknown>;
  exporters: Record<string, Record<string, unknown>>;
  service: { extensions?: string[]; pipelines: Record<string, Pipeline> };
}

const builderVersion = String((parse(readDeploy("collector", "builder-config.yaml")) as { dist: { version: string } }).dist.version);

beforeAll(() => {
  goBinaries();
}, 900_000);

describe("generated deploy files", () => {
  it("are rendered for the collector release the builder manifest builds", () => {
    expect(COLLECTOR_CONTRIB_VERSION).toBe(`v${builderVersion}`);
  });

  it("match a fresh render of deploy/collector/policy.yaml by @telltale/sampler", () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "telltale-generate-"));
    const output = execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts/generate-deploy.mjs"), "--out", outDir], {
      encoding: "utf8",
    });
    const generated = ["deploy/collector/tail-sampling.yaml", "deploy/kubernetes/collector-config.yaml"];
    expect(output).toContain("tail-sampling.yaml");
    for (const relative of generated) {
      const fresh = readFileSync(path.join(outDir, relative), "utf8");
      const committed = readFileSync(path.join(REPO_ROOT, relative), "utf8");
      expect(committed, `${relative} drifted: run node scripts/generate-deploy.mjs`).toBe(fresh);
    }
  });

  it("tail-sampling.yaml carries the renderer's tail_sampling block for the policy, memory_limiter first", () => {
    const config = parse(readDeploy("collector", "tail-sampling.yaml")) as CollectorConfig;
    const policy = parsePolicyText(readDeploy("collector", "policy.yaml"));
    expect(config.processors.tail_sampling).toEqual(renderCollectorConfig(policy));
    const tailSampling = config.processors.tail_sampling as Record<string, unknown>;
    expect(tailSampling.decision_wait).toBe("300s");
    expect(tailSampling.decision_wait_after_root_received).toBe("10s");
    expect(tailSampling.decision_cache).toEqual({ sampled_cache_size: 200_000, non_sampled_cache_size: 200_000 });
    const policyTypes = (tailSampling.policies as { name: string; type: string }[]).map((entry) => [entry.name, entry.type]);
    expect(policyTypes).toEqual([
      ["telltale-error", "status_code"],
      ["telltale-slow", "latency"],
      ["telltale-budget-exceeded", "boolean_attribute"],
      ["telltale-partial", "string_attribute"],
      ["telltale-soft-error", "ottl_condition"],
      ["telltale-retried", "numeric_attribute"],
      ["telltale-late", "boolean_attribute"],
      ["telltale-orphan", "boolean_attribute"],
      ["telltale-duplicate", "boolean_attribute"],
      ["telltale-keep", "boolean_attribute"],
      ["telltale-baseline", "probabilistic"],
    ]);

    const pipelines = config.service.pipelines;
    for (const [name, pipeline] of Object.entries(pipelines)) {
      if (pipeline.receivers.includes("otlp")) expect(pipeline.processors?.[0], `${name} starts with memory_limiter`).toBe("memory_limiter");
    }
    // Span metrics come from the unsampled stream: the pipeline feeding the connector does no sampling.
    const feedsSpanMetrics = Object.values(pipelines).filter((pipeline) => pipeline.exporters.includes("span_metrics"));
    expect(feedsSpanMetrics).toEqual([{ receivers: ["otlp"], processors: ["memory_limiter"], exporters: ["span_metrics"] }]);
    expect(pipelines["traces/sampled"]).toEqual({
      receivers: ["otlp"],
      processors: ["memory_limiter", "tail_sampling", "batch"],
      exporters: ["otlp_grpc/traces"],
    });
  });
});

describe("the apps' own metrics have somewhere to go", () => {
  // @telltale/node pushes the GenAI metrics over OTLP to the endpoint it sends traces to: every collector an app may
  // point at takes them from its OTLP receiver to a metrics exporter (else the push gets a 404).
  it.each(["collector/tail-sampling.yaml", "collector/two-tier/load-balancer.yaml", "collector/two-tier/load-balancer-dns.yaml"])(
    "%s has a metrics pipeline from the otlp receiver to the metrics backend",
    (relative) => {
      const config = parse(readDeploy(...relative.split("/"))) as CollectorConfig;
      const fromApps = Object.entries(config.service.pipelines).filter(
        ([name, pipeline]) => name.split("/")[0] === "metrics" && pipeline.receivers.includes("otlp"),
      );
      expect(fromApps).toHaveLength(1);
      const [, pipeline] = fromApps[0]!;
      expect(pipeline.processors?.[0]).toBe("memory_limiter");
      expect(pipeline.exporters).toEqual(["otlp_http/metrics"]);
      expect(config.exporters["otlp_http/metrics"]?.metrics_endpoint).toBe(
        "${env:TELLTALE_METRICS_OTLP_ENDPOINT:-http://prometheus:9090/api/v1/otlp/v1/metrics}",
      );
    },
  );
});

describe("otelcol validate accepts every collector config in deploy/", () => {
  const collectorConfigs: [string, Record<string, string>][] = [
    ["collector/tail-sampling.yaml", {}],
    ["collector/tail-sampling.yaml", { TELLTALE_TRACES_OTLP_ENDPOINT: "127.0.0.1:4317", TELLTALE_HEALTH_ENDPOINT: "127.0.0.1:0" }],
    ["collector/two-tier/load-balancer.yaml", {}],
    ["collector/two-tier/load-balancer.yaml", { TELLTALE_SAMPLING_TIER_HOSTNAMES: "[10.0.0.1:4317, 10.0.0.2:4317, 10.0.0.3:4317]" }],
    ["collector/two-tier/load-balancer-dns.yaml", {}],
  ];

  it.each(collectorConfigs)("%s with env %j", async (relative, env) => {
    const result = await validateCollectorConfig([deployPath(relative)], env);
    expect(result.output).not.toMatch(/error/i);
    expect(result.ok).toBe(true);
  });

  it("rejects a tail_sampling block with a misspelt key (the validation is real)", async () => {
    // Policy *types* are only checked when the processor starts: the e2e tests run these configs for that.
    const broken = readDeploy("collector", "tail-sampling.yaml").replace("num_traces:", "num_tracez:");
    const file = path.join(mkdtempSync(path.join(tmpdir(), "telltale-broken-")), "broken.yaml");
    writeFileSync(file, broken);
    const result = await validateCollectorConfig([file]);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("num_tracez");
  });

  it("the Kubernetes ConfigMaps carry the deploy/ configs verbatim, and each validates", async () => {
    const documents = parseAllDocuments(readDeploy("kubernetes", "collector-config.yaml")).map(
      (document) => document.toJS() as { kind: string; metadata: { name: string }; data: Record<string, string> },
    );
    expect(documents.map((document) => document.metadata.name)).toEqual([
      "telltale-collector-sampling",
      "telltale-collector-load-balancer",
      "telltale-prometheus-rules",
    ]);
    const [sampling, loadBalancer, rules] = documents;
    expect(sampling?.data["config.yaml"]).toBe(readDeploy("collector", "tail-sampling.yaml"));
    expect(loadBalancer?.data["config.yaml"]).toBe(readDeploy("collector", "two-tier", "load-balancer-dns.yaml"));
    expect(rules?.data["telltale-alerts.yaml"]).toBe(readDeploy("prometheus", "alerts.yaml"));

    const directory = mkdtempSync(path.join(tmpdir(), "telltale-k8s-"));
    for (const document of [sampling, loadBalancer]) {
      const file = path.join(directory, `${document!.metadata.name}.yaml`);
      writeFileSync(file, document!.data["config.yaml"]!);
      const result = await validateCollectorConfig([file]);
      expect(result.ok, result.output).toBe(true);
    }
  });

  it("every collector in compose.yaml runs a deploy/ config that validates with the service's environment", async () => {
    interface ComposeService {
      image: string;
      command?: string[];
      environment?: Record<string, string>;
      volumes?: string[];
    }
    const compose = parse(readDeploy("compose.yaml"), { merge: true }) as { services: Record<string, ComposeService> };
    const collectors = Object.entries(compose.services).filter(([, service]) => service.image.includes("opentelemetry-collector"));
    expect(collectors.map(([name]) => name).sort()).toEqual(["collector", "load-balancer", "sampler-1", "sampler-2"]);
    for (const [name, service] of collectors) {
      // Same release as the distribution the tests run.
      expect(service.image, name).toBe(`otel/opentelemetry-collector-contrib:${builderVersion}`);
      const configInContainer = service.command?.find((arg) => arg.startsWith("--config="))?.slice("--config=".length);
      const mount = service.volumes?.map((volume) => volume.split(":")).find(([, target]) => target === configInContainer);
      expect(mount, `${name} mounts its --config file`).toBeDefined();
      const result = await validateCollectorConfig([deployPath(mount![0]!)], service.environment ?? {});
      expect(result.ok, `${name}: ${result.output}`).toBe(true);
    }
    // The Jaeger release the tests run (scripts/go-tools.sh).
    expect(compose.services.jaeger?.image).toBe("jaegertracing/jaeger:2.12.0");
  });

  it("the Kubernetes manifests run the same collector release", () => {
    const images = readdirSync(deployPath("kubernetes"))
      .flatMap((file) => [...readDeploy("kubernetes", file).matchAll(/image: (\S+)/g)].map((match) => match[1]))
      .filter((image) => image?.includes("opentelemetry-collector"));
    expect(images).toEqual([
      `otel/opentelemetry-collector-contrib:${builderVersion}`,
      `otel/opentelemetry-collector-contrib:${builderVersion}`,
    ]);
  });
});

describe("alert rules (Prometheus format) on the span metrics", () => {
  interface Rule {
    alert?: string;
    record?: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
  }
  const rules = (parse(readDeploy("prometheus", "alerts.yaml")) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap(
    (group) => group.rules,
  );
  const squash = (expr: string): string => expr.replace(/\s+/g, " ").trim();

  it("fires on 3 or more failures of the same tool in 5 minutes", () => {
    const rule = rules.find((candidate) => candidate.alert === "TelltaleToolFailing");
    expect(squash(rule!.expr)).toBe(
      'sum by (service_name, gen_ai_tool_name) ( increase(traces_span_metrics_calls_total{status_code="STATUS_CODE_ERROR", gen_ai_tool_name!=""}[5m]) ) >= 3',
    );
  });

  it("fires when an operation's p99 is above its threshold", () => {
    const p99 = rules.find((candidate) => candidate.record === "telltale:span_duration_ms:p99_5m");
    expect(squash(p99!.expr)).toBe(
      "histogram_quantile(0.99, sum by (le, service_name, span_name, gen_ai_operation_name) ( rate(traces_span_metrics_duration_milliseconds_bucket[5m]) ) )",
    );
    const thresholds = rules
      .filter((candidate) => candidate.expr.startsWith("telltale:span_duration_ms:p99_5m"))
      .map((candidate) => [candidate.alert, candidate.expr, candidate.labels?.threshold_ms]);
    expect(thresholds).toEqual([
      ["TelltaleLlmCallP99High", 'telltale:span_duration_ms:p99_5m{gen_ai_operation_name="chat"} > 30000', "30000"],
      ["TelltaleToolP99High", 'telltale:span_duration_ms:p99_5m{gen_ai_operation_name="execute_tool"} > 10000', "10000"],
      ["TelltaleAgentRunP99High", 'telltale:span_duration_ms:p99_5m{gen_ai_operation_name="invoke_agent"} > 120000', "120000"],
    ]);
  });

  it("uses dimensions the span_metrics connector actually emits", () => {
    const config = parse(readDeploy("collector", "tail-sampling.yaml")) as CollectorConfig;
    const dimensions = (config.connectors?.span_metrics as { dimensions: { name: string }[] }).dimensions.map((d) => d.name);
    expect(dimensions).toEqual(expect.arrayContaining(["gen_ai.tool.name", "gen_ai.operation.name"]));
  });
});
