import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultPolicy, parsePolicy, renderCollectorConfig, renderCollectorYaml } from "@telltale/sampler";
import { renderCollectorProcessorYaml } from "../src/collector.js";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const DEFAULT_PROCESSOR_YAML = `tail_sampling:
  decision_wait: 30s
  decision_wait_after_root_received: 10s
  num_traces: 10000
  decision_cache:
    sampled_cache_size: 100000
    non_sampled_cache_size: 100000
  policies:
    - name: telltale-error
      type: status_code
      status_code:
        status_codes:
          - ERROR
    - name: telltale-slow
      type: latency
      latency:
        threshold_ms: 30000
    - name: telltale-budget-exceeded
      type: boolean_attribute
      boolean_attribute:
        key: telltale.budget.exceeded
        value: true
    - name: telltale-partial
      type: string_attribute
      string_attribute:
        key: telltale.workflow.outcome
        values:
          - partial
    - name: telltale-soft-error
      type: ottl_condition
      ottl_condition:
        error_mode: ignore
        span:
          - span.attributes["telltale.soft_error"] != nil
    - name: telltale-retried
      type: numeric_attribute
      numeric_attribute:
        key: telltale.retry.count
        min_value: 1
    - name: telltale-late
      type: boolean_attribute
      boolean_attribute:
        key: telltale.late
        value: true
    - name: telltale-orphan
      type: boolean_attribute
      boolean_attribute:
        key: telltale.orphan
        value: true
    - name: telltale-duplicate
      type: boolean_attribute
      boolean_attribute:
        key: telltale.duplicate
        value: true
    - name: telltale-keep
      type: boolean_attribute
      boolean_attribute:
        key: telltale.keep
        value: true
    - name: telltale-baseline
      type: probabilistic
      probabilistic:
        hash_salt: telltale
        sampling_percentage: 5
`;

describe("renderCollectorConfig", () => {
  it("renders the default policy as the tail_sampling block (exact YAML)", () => {
    expect(renderCollectorProcessorYaml(defaultPolicy)).toBe(DEFAULT_PROCESSOR_YAML);
  });

  it("renders the default policy's values", () => {
    const config = renderCollectorConfig(defaultPolicy);
    expect(config.decision_wait).toBe("30s");
    expect(config.decision_wait_after_root_received).toBe("10s");
    expect(config.num_traces).toBe(10000);
    expect(config.decision_cache).toEqual({ sampled_cache_size: 100000, non_sampled_cache_size: 100000 });
    expect(config.policies.map((policy) => [policy.name, policy.type])).toEqual([
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
  });

  it("leaves out disabled rules and a 0 % baseline; sub-second waits render in ms", () => {
    const policy = parsePolicy({
      rules: { slow: false, retries: { min: 3 }, late: false, orphan: false, duplicate: false, keep: false },
      baseline: { percentage: 0 },
      buffer: { decisionWaitMs: 1500, maxTraceAgeMs: 60000, maxTraces: 500, decisionCacheSize: 2000 },
    });
    expect(renderCollectorConfig(policy, { policyNamePrefix: "acme-" })).toEqual({
      decision_wait: "60s",
      decision_wait_after_root_received: "1500ms",
      num_traces: 500,
      decision_cache: { sampled_cache_size: 2000, non_sampled_cache_size: 2000 },
      policies: [
        { name: "acme-error", type: "status_code", status_code: { status_codes: ["ERROR"] } },
        {
          name: "acme-budget-exceeded",
          type: "boolean_attribute",
          boolean_attribute: { key: "telltale.budget.exceeded", value: true },
        },
        {
          name: "acme-partial",
          type: "string_attribute",
          string_attribute: { key: "telltale.workflow.outcome", values: ["partial"] },
        },
        {
          name: "acme-soft-error",
          type: "ottl_condition",
          ottl_condition: { error_mode: "ignore", span: ['span.attributes["telltale.soft_error"] != nil'] },
        },
        { name: "acme-retried", type: "numeric_attribute", numeric_attribute: { key: "telltale.retry.count", min_value: 3 } },
      ],
    });
  });

  it("renders a full collector config around the block", () => {
    const yaml = renderCollectorYaml(defaultPolicy, {
      exporter: { type: "otlp_grpc", endpoint: "jaeger:4317" },
      header: "generated; do not edit",
    });
    expect(yaml.split("\n")[0]).toBe("# generated; do not edit");
    expect(parse(yaml)).toEqual({
      receivers: { otlp: { protocols: { grpc: { endpoint: "0.0.0.0:4317" }, http: { endpoint: "0.0.0.0:4318" } } } },
      processors: { tail_sampling: renderCollectorConfig(defaultPolicy), batch: {} },
      exporters: { otlp_grpc: { endpoint: "jaeger:4317", tls: { insecure: true } } },
      service: {
        pipelines: { traces: { receivers: ["otlp"], processors: ["tail_sampling", "batch"], exporters: ["otlp_grpc"] } },
      },
    });
    expect(renderCollectorYaml(defaultPolicy)).toBe(renderCollectorYaml(defaultPolicy));
  });
});

describe("telltale-sampler CLI", () => {
  const require = createRequire(import.meta.url);
  const cli = path.join(path.dirname(require.resolve("@telltale/sampler/package.json")), "dist", "cli.mjs");
  const dir = mkdtempSync(path.join(tmpdir(), "telltale-cli-"));

  it("collector-config --policy file --out file writes the rendered block", () => {
    const policyFile = path.join(dir, "policy.yaml");
    const outFile = path.join(dir, "tail_sampling.yaml");
    writeFileSync(policyFile, "rules:\n  slow:\n    thresholdMs: 10000\nbaseline:\n  percentage: 1\n");
    execFileSync(process.execPath, [cli, "collector-config", "--policy", policyFile, "--out", outFile]);
    const written = readFileSync(outFile, "utf8");
    expect(written.split("\n")[0]).toBe(
      `# Generated by telltale-sampler collector-config from ${policyFile}. Do not edit: regenerate.`,
    );
    const block = parse(written).tail_sampling;
    expect(block).toEqual(renderCollectorConfig(parsePolicy({ rules: { slow: { thresholdMs: 10000 } }, baseline: { percentage: 1 } })));
    expect(block.policies[1]).toEqual({ name: "telltale-slow", type: "latency", latency: { threshold_ms: 10000 } });
  });

  it("fails with the policy error naming the key", () => {
    const policyFile = path.join(dir, "bad.yaml");
    writeFileSync(policyFile, "rules:\n  retries:\n    min: x\n");
    let stderr = "";
    let status: number | null = 0;
    try {
      execFileSync(process.execPath, [cli, "collector-config", "--policy", policyFile], { stdio: "pipe" });
    } catch (error) {
      const failure = error as { status: number | null; stderr: Buffer };
      status = failure.status;
      stderr = failure.stderr.toString();
    }
    expect(status).toBe(1);
    expect(stderr.split("\n")[0]).toBe('telltale policy: "rules.retries.min" must be an integer from 1 to 1000000, got "x"');
  });
});
