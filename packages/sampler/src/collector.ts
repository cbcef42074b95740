/**
 * Engine 2: the same keep policy rendered as an OpenTelemetry Collector `tail_sampling` processor block
 * (opentelemetry-collector-contrib v0.165.0 key names), and a full collector config around it.
 *
 * Output is deterministic: keys are emitted in a fixed order, so files generated into `deploy/` can be diffed
 * against a fresh render.
 *
 * Differences from the in-process engine, by construction of the collector's policies:
 * - per-workflow slow thresholds (`rules.slow.workflows`) are in-process only; the collector uses `thresholdMs`;
 * - the collector also matches resource attributes for the attribute policies (the in-process engine reads span
 *   attributes only), and its probabilistic policy may sample a trace another rule kept (same keep decision).
 */
import { stringify } from "yaml";
import { defaultPolicy, type KeepRules, type SamplingPolicy } from "./policy.js";
import { enabledRules, type KeepRule } from "./rules.js";

/** The contrib release whose `tail_sampling` config keys this renderer targets: the one deploy/collector/builder-config.yaml builds (a test holds them equal). */
export const COLLECTOR_CONTRIB_VERSION = "v0.161.0";

/** One entry of `tail_sampling.policies`. */
export type CollectorPolicy =
  | { name: string; type: "status_code"; status_code: { status_codes: string[] } }
  | { name: string; type: "latency"; latency: { threshold_ms: number } }
  | { name: string; type: "boolean_attribute"; boolean_attribute: { key: string; value: boolean } }
  | { name: string; type: "string_attribute"; string_attribute: { key: string; values: string[] } }
  | { name: string; type: "numeric_attribute"; numeric_attribute: { key: string; min_value: number } }
  | { name: string; type: "ottl_condition"; ottl_condition: { error_mode: "ignore" | "propagate" | "silent"; span: string[] } }
  | { name: string; type: "probabilistic"; probabilistic: { hash_salt: string; sampling_percentage: number } };

/** The `tail_sampling` processor's configuration. */
export interface CollectorTailSamplingConfig {
  decision_wait: string;
  decision_wait_after_root_received: string;
  num_traces: number;
  decision_cache: { sampled_cache_size: number; non_sampled_cache_size: number };
  policies: CollectorPolicy[];
}

export interface RenderCollectorConfigOptions {
  /** Prefix of every policy name (they show up in the collector's metrics). Default `telltale-`. */
  policyNamePrefix?: string;
}

/** Go duration string for milliseconds: whole seconds as `Ns`, anything else as `Nms`. */
function goDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** One keep rule as a collector policy, by how it matches. */
function collectorPolicy(rule: KeepRule, rules: KeepRules, name: string): CollectorPolicy {
  const match = rule.match;
  switch (match.kind) {
    case "status_error":
      return { name, type: "status_code", status_code: { status_codes: ["ERROR"] } };
    case "duration_over": {
      const slow = rules[rule.policyKey];
      return { name, type: "latency", latency: { threshold_ms: typeof slow === "object" && "thresholdMs" in slow ? slow.thresholdMs : 0 } };
    }
    case "boolean_true":
      return { name, type: "boolean_attribute", boolean_attribute: { key: match.attribute, value: true } };
    case "string_equals":
      return { name, type: "string_attribute", string_attribute: { key: match.attribute, values: [match.value] } };
    case "present":
      // "present with any value": an OTTL nil check says exactly that (a string_attribute regex would need a value).
      return {
        name,
        type: "ottl_condition",
        ottl_condition: { error_mode: "ignore", span: [`span.attributes["${match.attribute}"] != nil`] },
      };
    case "integer_at_least": {
      // min_value only: the collector treats an unset (zero) max_value as "no upper bound".
      const configured = rules[rule.policyKey];
      const min = typeof configured === "object" && "min" in configured ? configured.min : 1;
      return { name, type: "numeric_attribute", numeric_attribute: { key: match.attribute, min_value: min } };
    }
  }
}

/** Renders the policy as the collector's `tail_sampling` processor configuration. */
export function renderCollectorConfig(
  policy: SamplingPolicy = defaultPolicy,
  options: RenderCollectorConfigOptions = {},
): CollectorTailSamplingConfig {
  const prefix = options.policyNamePrefix ?? "telltale-";
  const policies = enabledRules(policy.rules).map((rule) => collectorPolicy(rule, policy.rules, prefix + rule.collectorName));
  if (policy.baseline.percentage > 0) {
    policies.push({
      name: `${prefix}baseline`,
      type: "probabilistic",
      probabilistic: { hash_salt: policy.baseline.hashSalt, sampling_percentage: policy.baseline.percentage },
    });
  }

  return {
    decision_wait: goDuration(policy.buffer.maxTraceAgeMs),
    decision_wait_after_root_received: goDuration(policy.buffer.decisionWaitMs),
    num_traces: policy.buffer.maxTraces,
    decision_cache: {
      sampled_cache_size: policy.buffer.decisionCacheSize,
      non_sampled_cache_size: policy.buffer.decisionCacheSize,
    },
    policies,
  };
}

/** The exporter the full config sends kept traces to. */
export type CollectorExporterOptions =
  | { type: "otlp_grpc"; endpoint: string; insecure?: boolean }
  | { type: "otlp_http"; endpoint: string }
  | { type: "debug" };

export interface RenderCollectorYamlOptions extends RenderCollectorConfigOptions {
  /** OTLP/gRPC receiver endpoint. Default `0.0.0.0:4317`. */
  grpcEndpoint?: string;
  /** OTLP/HTTP receiver endpoint. Default `0.0.0.0:4318`. */
  httpEndpoint?: string;
  /** Where kept traces go. Default the `debug` exporter. */
  exporter?: CollectorExporterOptions;
  /** A comment written at the top of the file (e.g. "generated by …; do not edit"). */
  header?: string;
}

function exporterBlock(exporter: CollectorExporterOptions): Record<string, unknown> {
  switch (exporter.type) {
    case "otlp_grpc":
      return { endpoint: exporter.endpoint, tls: { insecure: exporter.insecure ?? true } };
    case "otlp_http":
      return { endpoint: exporter.endpoint };
    case "debug":
      return { verbosity: "basic" };
  }
}

/** YAML of the `tail_sampling` block alone (`tail_sampling:` at the top level), for pasting into a config. */
export function renderCollectorProcessorYaml(
  policy: SamplingPolicy = defaultPolicy,
  options: RenderCollectorConfigOptions = {},
): string {
  return toYaml({ tail_sampling: renderCollectorConfig(policy, options) });
}

/** A complete collector config: OTLP receiver -> tail_sampling -> batch -> exporter. */
export function renderCollectorYaml(policy: SamplingPolicy = defaultPolicy, options: RenderCollectorYamlOptions = {}): string {
  const exporter = options.exporter ?? { type: "debug" };
  const config = {
    receivers: {
      otlp: {
        protocols: {
          grpc: { endpoint: options.grpcEndpoint ?? "0.0.0.0:4317" },
          http: { endpoint: options.httpEndpoint ?? "0.0.0.0:4318" },
        },
      },
    },
    processors: {
      tail_sampling: renderCollectorConfig(policy, options),
      batch: {},
    },
    exporters: { [exporter.type]: exporterBlock(exporter) },
    service: {
      pipelines: {
        traces: { receivers: ["otlp"], processors: ["tail_sampling", "batch"], exporters: [exporter.type] },
      },
    },
  };
  const body = toYaml(config);
  if (options.header === undefined) return body;
  const comment = options.header
    .split("\n")
    .map((line) => (line ? `# ${line}` : "#"))
    .join("\n");
  return `${comment}\n${body}`;
}

function toYaml(value: unknown): string {
  // lineWidth 0: never fold long strings (OTTL conditions), so the output is stable and greppable.
  return stringify(value, { lineWidth: 0, indent: 2 });
}
