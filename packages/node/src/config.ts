/**
 * Reads and validates the standard `OTEL_*` and the `TELLTALE_*` variables (plus the options given to `start`) into
 * one resolved config. Every bad value fails here, at start, with a message naming the variable and what it accepts:
 * a typo in a sampling mode should stop the process, not silently export nothing.
 */
import type { BudgetMode, BudgetOptions } from "@telltale/core";
import { defaultPolicy, loadPolicyFile, parsePolicy, type SamplingPolicy, type SamplingPolicyInput } from "@telltale/sampler";
import {
  MAX_TIMER_MS,
  quoted,
  read,
  readBoolean,
  readInteger,
  readKeyValueList,
  readList,
  readOneOf,
  readPositiveDecimal,
  readRatio,
  readUrl,
  TelltaleConfigError,
  type Env,
} from "./env.js";

export { TelltaleConfigError, type Env } from "./env.js";

export const SAMPLING_MODES = ["in-process", "collector", "off"] as const;
/** `in-process`: the tail sampler in this process decides; `collector`: everything is exported and a collector's
 * `tail_sampling` decides; `off`: everything is exported, no sampling. */
export type SamplingMode = (typeof SAMPLING_MODES)[number];

export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

export const OTLP_COMPRESSIONS = ["gzip", "none"] as const;
export type OtlpCompression = (typeof OTLP_COMPRESSIONS)[number];
/** Exports are gzipped unless `OTEL_EXPORTER_OTLP_(TRACES_|METRICS_)COMPRESSION=none`: an agent's trace exports
 * (repeated keys, ids and resource attributes) shrink about tenfold on the wire, which is what a metered network
 * bills, and OTLP/HTTP receivers (the OpenTelemetry Collector's, Jaeger's) accept gzip; the Collector's own OTLP
 * exporters gzip by default too. `none` is for a receiver that does not. */
const DEFAULT_OTLP_COMPRESSION: OtlpCompression = "gzip";

/** `OTEL_LOG_LEVEL` values, as the OpenTelemetry SDK reads them (any case). */
export const LOG_LEVELS = ["none", "error", "warn", "info", "debug", "verbose", "all"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The `OTEL_PROPAGATORS` values the OpenTelemetry Node SDK builds. */
export const PROPAGATORS = ["tracecontext", "baggage", "b3", "b3multi", "none"] as const;

/** The `OTEL_TRACES_SAMPLER` values the OpenTelemetry Node SDK builds. */
export const HEAD_SAMPLERS = [
  "always_on",
  "parentbased_always_on",
  "always_off",
  "parentbased_always_off",
  "traceidratio",
  "parentbased_traceidratio",
] as const;
export type HeadSampler = (typeof HEAD_SAMPLERS)[number];
/** Head samplers that record every trace this process starts, so the tail sampling sees them all. */
const RECORD_EVERY_TRACE: readonly HeadSampler[] = ["always_on", "parentbased_always_on"];

/** Longest attribute value (characters) when neither `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` nor
 * `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT` is set: long enough for stack traces and captured messages, short enough that
 * one runaway error message cannot make a multi-megabyte span. */
export const DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT = 16_384;

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;
/** The OTLP exporter specification's default timeout. */
const DEFAULT_OTLP_TIMEOUT_MS = 10_000;
const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;
/** A budget larger than this is a typo, not a budget. */
const MAX_BUDGET_COST_USD = 1_000_000;

/** What `start` accepts; every field overrides its environment variable. */
export interface TelltaleConfigOptions {
  /** Default `OTEL_SERVICE_NAME`. */
  serviceName?: string;
  /** Default `TELLTALE_SAMPLING`, else `in-process`. */
  sampling?: SamplingMode;
  /** Default the file in `TELLTALE_POLICY_FILE` (YAML or JSON), else the sampler's `defaultPolicy`. */
  policy?: SamplingPolicyInput;
  /** Default `TELLTALE_CAPTURE_CONTENT`, else `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, else off. */
  captureContent?: boolean;
  /** Default from `TELLTALE_BUDGET_TOKENS`, `TELLTALE_BUDGET_COST_USD`, `TELLTALE_BUDGET_MODE`. */
  budget?: BudgetOptions;
  /** Default `TELLTALE_CONSOLE_SUMMARY`, else off. */
  consoleSummary?: boolean;
  /** Default true: SIGTERM/SIGINT/beforeExit flush, then the signal's default behaviour. */
  handleSignals?: boolean;
  /** Default `TELLTALE_SHUTDOWN_TIMEOUT_MS`, else 5000. */
  shutdownTimeoutMs?: number;
  /** Default `process.env`. */
  env?: Env;
}

/** The resolved configuration (`telltale.config`). */
export interface TelltaleConfig {
  /** `OTEL_SDK_DISABLED=true`: start does nothing but return a handle. */
  disabled: boolean;
  serviceName: string | undefined;
  /** From `OTEL_RESOURCE_ATTRIBUTES`. */
  resourceAttributes: Record<string, string>;
  sampling: SamplingMode;
  policy: SamplingPolicy;
  /** Where the policy came from: a file path, `"options"` or `"default"`. */
  policySource: string;
  captureContent: boolean;
  /** `TELLTALE_CAPTURE_COMMAND_ARGS`: keep `process.command_args` on the resource (off: it can hold secrets). */
  captureCommandArgs: boolean;
  budget: BudgetOptions | undefined;
  /** Full URL of the OTLP/HTTP traces endpoint; undefined when none is configured. */
  tracesEndpoint: string | undefined;
  /** Full URL of the OTLP/HTTP metrics endpoint; undefined when none is configured. */
  metricsEndpoint: string | undefined;
  tracesHeaders: Record<string, string>;
  metricsHeaders: Record<string, string>;
  tracesProtocol: OtlpProtocol;
  metricsProtocol: OtlpProtocol;
  /** `OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT`, default 10000: longest one export may take, retries included. */
  tracesTimeoutMs: number;
  /** `OTEL_EXPORTER_OTLP_(METRICS_)TIMEOUT`, default 10000. */
  metricsTimeoutMs: number;
  /** `OTEL_EXPORTER_OTLP_(TRACES_)COMPRESSION`, default gzip. */
  tracesCompression: OtlpCompression;
  /** `OTEL_EXPORTER_OTLP_(METRICS_)COMPRESSION`, default gzip. */
  metricsCompression: OtlpCompression;
  /** `OTEL_LOG_LEVEL` (the OpenTelemetry SDK then logs to the console at that level); undefined when unset. */
  logLevel: LogLevel | undefined;
  /** `OTEL_PROPAGATORS`, validated; the SDK builds them. Undefined when unset (W3C trace context and baggage). */
  propagators: string[] | undefined;
  /** `OTEL_TRACES_SAMPLER`, validated; the SDK builds it. Undefined when unset (`parentbased_always_on`). */
  headSampler: HeadSampler | undefined;
  /** Longest attribute value in characters; longer strings (and error status messages) are cut. */
  attributeValueLengthLimit: number;
  consoleSummary: boolean;
  handleSignals: boolean;
  shutdownTimeoutMs: number;
  /** `OTEL_METRIC_EXPORT_INTERVAL`, default 60000: how often GenAI metrics are pushed when an endpoint is set. */
  metricExportIntervalMs: number;
}

/** The OTLP/HTTP URL for a signal: none when the exporter list says `none` or leaves `otlp` out; the spec's default
 * endpoint when `otlp` is named without an endpoint; else the configured endpoint, if any. */
function otlpUrlFor(env: Env, signal: Signal, exporters: string[] | undefined): string | undefined {
  const configured = endpointFor(env, signal);
  if (exporters === undefined) return configured;
  if (exporters.includes("none") || !exporters.includes("otlp")) return undefined;
  return configured ?? `http://localhost:4318/v1/${signal}`;
}

type Signal = "traces" | "metrics";

/** The signal-specific variable is used as given; the generic one gets `/v1/<signal>` appended (OTLP/HTTP spec). */
function endpointFor(env: Env, signal: Signal): string | undefined {
  const specific = readUrl(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`);
  const generic = readUrl(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  if (specific !== undefined) return specific.href;
  if (generic === undefined) return undefined;
  const base = generic.href.endsWith("/") ? generic.href : `${generic.href}/`;
  return `${base}v1/${signal}`;
}

/** The signal-specific variable wins over the generic one; both are validated. */
function perSignal<T>(env: Env, signal: Signal, suffix: string, reader: (env: Env, name: string) => T | undefined): T | undefined {
  const generic = reader(env, `OTEL_EXPORTER_OTLP_${suffix}`);
  return reader(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_${suffix}`) ?? generic;
}

function otlpSettingsFor(env: Env, signal: Signal) {
  const timeout = (e: Env, name: string) => readInteger(e, name, { min: 1, max: MAX_TIMER_MS, unit: "milliseconds" });
  const compression = (e: Env, name: string) => readOneOf(e, name, OTLP_COMPRESSIONS);
  return {
    protocol: perSignal(env, signal, "PROTOCOL", (e, name) => readOneOf(e, name, OTLP_PROTOCOLS)) ?? "http/protobuf",
    timeoutMs: perSignal(env, signal, "TIMEOUT", timeout) ?? DEFAULT_OTLP_TIMEOUT_MS,
    compression: perSignal(env, signal, "COMPRESSION", compression) ?? DEFAULT_OTLP_COMPRESSION,
  };
}

function budgetFrom(env: Env): BudgetOptions | undefined {
  const tokens = readInteger(env, "TELLTALE_BUDGET_TOKENS", { min: 1, max: Number.MAX_SAFE_INTEGER, unit: "tokens" });
  const costUsd = readPositiveDecimal(env, "TELLTALE_BUDGET_COST_USD", MAX_BUDGET_COST_USD);
  const mode = readOneOf(env, "TELLTALE_BUDGET_MODE", BUDGET_MODES);
  if (tokens === undefined && costUsd === undefined) {
    if (mode !== undefined) {
      throw new TelltaleConfigError(
        "TELLTALE_BUDGET_MODE",
        "TELLTALE_BUDGET_MODE needs TELLTALE_BUDGET_TOKENS or TELLTALE_BUDGET_COST_USD to be set",
      );
    }
    return undefined;
  }
  return {
    ...(tokens !== undefined ? { tokens } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
    mode: mode ?? "observe",
  };
}

const BUDGET_MODES: readonly BudgetMode[] = ["observe", "enforce"];

function policyFrom(env: Env, option: SamplingPolicyInput | undefined): { policy: SamplingPolicy; source: string } {
  if (option !== undefined) {
    try {
      return { policy: parsePolicy(option), source: "options" };
    } catch (error) {
      throw new TelltaleConfigError("policy", `options.policy is not a valid sampling policy: ${messageOf(error)}`);
    }
  }
  const file = read(env, "TELLTALE_POLICY_FILE");
  if (file === undefined) return { policy: defaultPolicy, source: "default" };
  try {
    return { policy: loadPolicyFile(file), source: file };
  } catch (error) {
    throw new TelltaleConfigError(
      "TELLTALE_POLICY_FILE",
      `TELLTALE_POLICY_FILE must name a readable YAML or JSON sampling policy; ${quoted(file)}: ${messageOf(error)}`,
    );
  }
}

/**
 * `OTEL_TRACES_SAMPLER`: the Node SDK builds the head sampler from it. A head sampler decides when a trace starts,
 * before anything went wrong, so one that drops traces would drop failures before Telltale's tail sampling (in this
 * process or in a collector) could keep them: refused unless sampling is `off`.
 */
function headSamplerFrom(env: Env, sampling: SamplingMode): HeadSampler | undefined {
  const name = "OTEL_TRACES_SAMPLER";
  const value = read(env, name);
  if (value === undefined) return undefined;
  const sampler = HEAD_SAMPLERS.find((candidate) => candidate === value);
  if (sampler === undefined) {
    throw new TelltaleConfigError(name, `${name} must be one of ${HEAD_SAMPLERS.join(", ")}; got ${quoted(value)}`);
  }
  if (sampling !== "off" && !RECORD_EVERY_TRACE.includes(sampler)) {
    throw new TelltaleConfigError(
      name,
      `${name}=${sampler} drops traces before Telltale's tail sampling (${sampling}) sees them, failures included; ` +
        `use always_on or parentbased_always_on (or leave it unset), or set TELLTALE_SAMPLING=off to sample by head only`,
    );
  }
  if (sampler.endsWith("traceidratio")) readRatio(env, "OTEL_TRACES_SAMPLER_ARG");
  return sampler;
}

function attributeValueLengthLimitFrom(env: Env): number {
  const limit = (name: string) => readInteger(env, name, { min: 1, max: MAX_TIMER_MS, unit: "characters" });
  const generic = limit("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  return limit("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") ?? generic ?? DEFAULT_ATTRIBUTE_VALUE_LENGTH_LIMIT;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function checkOptions(options: TelltaleConfigOptions): void {
  if (options.sampling !== undefined && !SAMPLING_MODES.includes(options.sampling)) {
    throw new TelltaleConfigError(
      "sampling",
      `options.sampling must be one of ${SAMPLING_MODES.join(", ")}; got ${quoted(String(options.sampling))}`,
    );
  }
  const timeout = options.shutdownTimeoutMs;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 0 && timeout <= MAX_TIMER_MS)) {
    throw new TelltaleConfigError(
      "shutdownTimeoutMs",
      `options.shutdownTimeoutMs must be a whole number of milliseconds from 0 to ${MAX_TIMER_MS}; got ${String(timeout)}`,
    );
  }
}

/**
 * The resolved config from `options` over `options.env` (default `process.env`). Throws `TelltaleConfigError` for
 * the first bad value.
 */
export function readConfig(options: TelltaleConfigOptions = {}): TelltaleConfig {
  checkOptions(options);
  const env = options.env ?? process.env;
  const disabled = readBoolean(env, "OTEL_SDK_DISABLED") ?? false;
  const sampling = options.sampling ?? readOneOf(env, "TELLTALE_SAMPLING", SAMPLING_MODES) ?? "in-process";
  const { policy, source } = policyFrom(env, options.policy);
  const telltaleCapture = readBoolean(env, "TELLTALE_CAPTURE_CONTENT");
  const genAiCapture = readBoolean(env, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT");
  const headers = readKeyValueList(env, "OTEL_EXPORTER_OTLP_HEADERS");
  const consoleSummary = readBoolean(env, "TELLTALE_CONSOLE_SUMMARY");
  const tracesExporters = readList(env, "OTEL_TRACES_EXPORTER", ["otlp", "console", "none"], true);
  const metricsExporters = readList(env, "OTEL_METRICS_EXPORTER", ["otlp", "none"], true);
  const traces = otlpSettingsFor(env, "traces");
  const metrics = otlpSettingsFor(env, "metrics");
  const timer = { min: 0, max: MAX_TIMER_MS, unit: "milliseconds" };
  return {
    disabled,
    serviceName: options.serviceName ?? read(env, "OTEL_SERVICE_NAME"),
    resourceAttributes: readKeyValueList(env, "OTEL_RESOURCE_ATTRIBUTES"),
    sampling,
    policy,
    policySource: source,
    captureContent: options.captureContent ?? telltaleCapture ?? genAiCapture ?? false,
    captureCommandArgs: readBoolean(env, "TELLTALE_CAPTURE_COMMAND_ARGS") ?? false,
    budget: options.budget ?? budgetFrom(env),
    tracesEndpoint: otlpUrlFor(env, "traces", tracesExporters),
    metricsEndpoint: otlpUrlFor(env, "metrics", metricsExporters),
    tracesHeaders: { ...headers, ...readKeyValueList(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS") },
    metricsHeaders: { ...headers, ...readKeyValueList(env, "OTEL_EXPORTER_OTLP_METRICS_HEADERS") },
    tracesProtocol: traces.protocol,
    metricsProtocol: metrics.protocol,
    tracesTimeoutMs: traces.timeoutMs,
    metricsTimeoutMs: metrics.timeoutMs,
    tracesCompression: traces.compression,
    metricsCompression: metrics.compression,
    logLevel: readOneOf(env, "OTEL_LOG_LEVEL", LOG_LEVELS),
    propagators: readList(env, "OTEL_PROPAGATORS", PROPAGATORS),
    headSampler: headSamplerFrom(env, sampling),
    attributeValueLengthLimit: attributeValueLengthLimitFrom(env),
    consoleSummary:
      options.consoleSummary ??
      consoleSummary ??
      (tracesExporters?.includes("console") === true && !tracesExporters.includes("none")),
    handleSignals: options.handleSignals ?? true,
    shutdownTimeoutMs:
      options.shutdownTimeoutMs ?? readInteger(env, "TELLTALE_SHUTDOWN_TIMEOUT_MS", timer) ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    metricExportIntervalMs:
      readInteger(env, "OTEL_METRIC_EXPORT_INTERVAL", { ...timer, min: 1 }) ?? DEFAULT_METRIC_EXPORT_INTERVAL_MS,
  };
}
