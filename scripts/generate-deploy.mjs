#!/usr/bin/env node
// Writes the generated files in deploy/ from @telltale/sampler's policy renderer, so the collector keeps exactly
// the traces the in-process sampler keeps:
//   deploy/collector/tail-sampling.yaml        single collector (also the sampling tier of two-tier/)
//   deploy/kubernetes/collector-config.yaml    ConfigMaps carrying the same collector configs and alert rules
// Usage: node scripts/generate-deploy.mjs            (re)write them in place
//        node scripts/generate-deploy.mjs --out DIR  write them under DIR instead (the drift test compares the two)
// Needs the built sampler (`pnpm --filter @telltale/sampler build`; `pnpm test` builds everything first).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The sampler is a workspace dependency of the e2e test package; resolve it from there.
const requireFromTests = createRequire(path.join(repoRoot, "test/package.json"));
const sampler = await import(pathToFileURL(requireFromTests.resolve("@telltale/sampler")).href);
const { stringify, parseAllDocuments } = await import(pathToFileURL(requireFromTests.resolve("yaml")).href);

const POLICY_FILE = "deploy/collector/policy.yaml";
const TAIL_SAMPLING_FILE = "deploy/collector/tail-sampling.yaml";
const LOAD_BALANCER_FILES = ["deploy/collector/two-tier/load-balancer.yaml", "deploy/collector/two-tier/load-balancer-dns.yaml"];
const ALERTS_FILE = "deploy/prometheus/alerts.yaml";
const KUBERNETES_CONFIG_FILE = "deploy/kubernetes/collector-config.yaml";

const toYaml = (value) => stringify(value, { lineWidth: 0, indent: 2 });
const header = (lines) => lines.map((line) => (line ? `# ${line}` : "#")).join("\n") + "\n";

/** The single-collector config: receiver, memory limit, span metrics and exporters around the renderer's tail_sampling block. */
function tailSamplingConfig(policy) {
  return {
    extensions: {
      health_check: { endpoint: "${env:TELLTALE_HEALTH_ENDPOINT:-0.0.0.0:13133}" },
    },
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: "0.0.0.0:4317" },
          http: { endpoint: "0.0.0.0:4318" },
        },
      },
    },
    processors: {
      // First in every pipeline: refuse data before the collector runs out of memory (tail sampling buffers traces).
      memory_limiter: { check_interval: "1s", limit_percentage: 80, spike_limit_percentage: 20 },
      tail_sampling: sampler.renderCollectorConfig(policy),
      batch: { send_batch_size: 1024, timeout: "1s" },
    },
    connectors: {
      // Fed by the unsampled stream: p50/p99 per operation are computed over 100 % of spans, not the kept ones.
      span_metrics: {
        histogram: {
          unit: "ms",
          explicit: { buckets: ["10ms", "50ms", "100ms", "250ms", "500ms", "1s", "2s", "5s", "10s", "30s", "60s", "120s"] },
        },
        dimensions: [
          { name: "gen_ai.operation.name" },
          { name: "gen_ai.request.model" },
          { name: "gen_ai.tool.name" },
          { name: "telltale.error.class" },
        ],
        metrics_flush_interval: "15s",
      },
    },
    exporters: {
      "otlp_grpc/traces": {
        endpoint: "${env:TELLTALE_TRACES_OTLP_ENDPOINT:-jaeger:4317}",
        tls: { insecure: true },
      },
      "otlp_http/metrics": {
        // Prometheus' own OTLP receiver (prometheus --web.enable-otlp-receiver), where the alert rules run; it takes
        // the span metrics and the apps' GenAI metrics.
        metrics_endpoint: "${env:TELLTALE_METRICS_OTLP_ENDPOINT:-http://prometheus:9090/api/v1/otlp/v1/metrics}",
      },
    },
    service: {
      extensions: ["health_check"],
      pipelines: {
        "traces/sampled": {
          receivers: ["otlp"],
          processors: ["memory_limiter", "tail_sampling", "batch"],
          exporters: ["otlp_grpc/traces"],
        },
        "traces/all": {
          receivers: ["otlp"],
          processors: ["memory_limiter"],
          exporters: ["span_metrics"],
        },
        "metrics/spans": {
          receivers: ["span_metrics"],
          processors: ["batch"],
          exporters: ["otlp_http/metrics"],
        },
        // The apps' own OTLP metrics (@telltale/node pushes the GenAI metrics to the same endpoint as its traces):
        // without this pipeline the collector answers their push with 404.
        "metrics/app": {
          receivers: ["otlp"],
          processors: ["memory_limiter", "batch"],
          exporters: ["otlp_http/metrics"],
        },
      },
    },
  };
}

function readRepoFile(relative) {
  return readFileSync(path.join(repoRoot, relative), "utf8");
}

/** Kubernetes ConfigMaps with the collector configs verbatim (the files are the source, the manifests follow). */
function kubernetesConfigMaps(tailSamplingYaml) {
  const loadBalancerYaml = readRepoFile(LOAD_BALANCER_FILES[1]);
  const configMap = (name, fileName, content) => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels: { "app.kubernetes.io/part-of": "telltale" } },
    data: { [fileName]: content },
  });
  return [
    configMap("telltale-collector-sampling", "config.yaml", tailSamplingYaml),
    configMap("telltale-collector-load-balancer", "config.yaml", loadBalancerYaml),
    configMap("telltale-prometheus-rules", "telltale-alerts.yaml", readRepoFile(ALERTS_FILE)),
  ]
    .map((document) => toYaml(document))
    .join("---\n");
}

export function renderDeployFiles() {
  const policy = sampler.parsePolicyText(readRepoFile(POLICY_FILE), POLICY_FILE);
  const tailSamplingYaml =
    header([
      `GENERATED by scripts/generate-deploy.mjs from ${POLICY_FILE} with @telltale/sampler's renderCollectorConfig.`,
      "Do not edit: change the policy and regenerate (a test fails when this file drifts from the renderer).",
      "",
      "OTLP in -> memory_limiter -> tail_sampling (keeps failed, slow, over-budget, partial, soft-error, retried, late,",
      "orphan, duplicate and telltale.keep traces plus a baseline) -> batch -> OTLP to the trace backend.",
      "The same input also feeds the span_metrics connector unsampled, so latency percentiles see every span.",
      "The apps' own OTLP metrics (GenAI metrics from @telltale/node) go to the same metrics backend.",
      "Environment: TELLTALE_TRACES_OTLP_ENDPOINT (gRPC host:port of the backend, default jaeger:4317),",
      "TELLTALE_METRICS_OTLP_ENDPOINT (OTLP/HTTP metrics URL, default Prometheus' OTLP receiver),",
      "TELLTALE_HEALTH_ENDPOINT (health check, default 0.0.0.0:13133).",
    ]) + toYaml(tailSamplingConfig(policy));
  const kubernetesYaml =
    header([
      "GENERATED by scripts/generate-deploy.mjs from deploy/collector/tail-sampling.yaml,",
      "deploy/collector/two-tier/load-balancer-dns.yaml and deploy/prometheus/alerts.yaml. Do not edit: regenerate.",
      "Mount telltale-prometheus-rules into your Prometheus' rule_files (or convert it to a PrometheusRule).",
    ]) + kubernetesConfigMaps(tailSamplingYaml);
  return { [TAIL_SAMPLING_FILE]: tailSamplingYaml, [KUBERNETES_CONFIG_FILE]: kubernetesYaml };
}

function main(argv) {
  const outIndex = argv.indexOf("--out");
  const outRoot = outIndex >= 0 ? path.resolve(argv[outIndex + 1] ?? ".") : repoRoot;
  const files = renderDeployFiles();
  for (const [relative, content] of Object.entries(files)) {
    // Parse what we wrote: a malformed document must fail here, not in a user's cluster.
    for (const document of parseAllDocuments(content)) {
      if (document.errors.length > 0) throw new Error(`${relative}: ${document.errors[0].message}`);
    }
    const target = path.join(outRoot, relative);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    console.log(`wrote ${path.relative(process.cwd(), target)}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
