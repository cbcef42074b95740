/**
 * Reads and validates the standard `OTEL_*` and the `TELLTALE_*` variables (plus the options given to `start`) into
 * one resolved config. Every bad value fails here, at start, with a message naming the variable and what it accepts:
 * a typo in a sampling mode should stop the process, not silently export nothing.
 */
import type { BudgetMode, BudgetOptions } from "@telltale/core";
import { defaultPolicy, loadPolicyFile, parsePolicy, type SamplingPolicy, type SamplingPolicyInput } from "@telltale/sampler";

export const SAMPLING_MODES = ["in-process", "collector", "off"] as const;
/** `in-process`: the tail sampler in this process decides; `collector`: everything is exported and a collector's
 * `tail_sampling` decides; `off`: everything is exported, no sampling. */
export type SamplingMode = (typeof SAMPLING_MODES)[number];

export const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

const BUDGET_MODES: readonly BudgetMode[] = ["observe", "enforce"];

export type Env = Record<string, string | undefined>;

/** Thrown by `readConfig`/`start` for a bad environment variable or option; `variable` names it. */
export class TelltaleConfigError extends Error {
  override readonly name = "TelltaleConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

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
  budget: BudgetOptions | undefined;
  /** Full URL of the OTLP/HTTP traces endpoint; undefined when none is configured. */
  tracesEndpoint: string | undefined;
  /** Full URL of the OTLP/HTTP metrics endpoint; undefined when none is configured. */
  metricsEndpoint: string | undefined;
  tracesHeaders: Record<string, string>;
  metricsHeaders: Record<string, string>;
  tracesProtocol: OtlpProtocol;
  metricsProtocol: OtlpProtocol;
  consoleSummary: boolean;
  handleSignals: boolean;
  shutdownTimeoutMs: number;
  /** `OTEL_METRIC_EXPORT_INTERVAL`, default 60000: how often GenAI metrics are pushed when an endpoint is set. */
  metricExportIntervalMs: number;
}

const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/** Empty and whitespace-only values count as unset, as the OpenTelemetry spec asks. */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function quoted(value: string): string {
  return JSON.stringify(value);
}

function readBoolean(env: Env, name: string): boolean | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === "true") return true;
  if (lower === "false") return false;
  throw new TelltaleConfigError(name, `${name} must be true or false; got ${quoted(value)}`);
}

function readOneOf<T extends string>(env: Env, name: string, allowed: readonly T[]): T | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const match = allowed.find((candidate) => candidate === value.toLowerCase());
  if (match === undefined) {
    throw new TelltaleConfigError(name, `${name} must be one of ${allowed.join(", ")}; got ${quoted(value)}`);
  }
  return match;
}

function readPositiveNumber(env: Env, name: string, integer: boolean): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const pattern = integer ? /^\d+$/ : /^(\d+(\.\d*)?|\.\d+)$/;
  const parsed = Number(value);
  if (!pattern.test(value) || !Number.isFinite(parsed) || parsed <= 0) {
    const what = integer ? "a positive integer" : "a positive number";
    throw new TelltaleConfigError(name, `${name} must be ${what}; got ${quoted(value)}`);
  }
  return parsed;
}

function readNonNegativeInteger(env: Env, name: string): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new TelltaleConfigError(name, `${name} must be a whole number of milliseconds (0 or more); got ${quoted(value)}`);
  }
  return Number(value);
}

function readUrl(env: Env, name: string): URL | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TelltaleConfigError(name, `${name} must be an http:// or https:// URL; got ${quoted(value)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TelltaleConfigError(name, `${name} must be an http:// or https:// URL; got ${quoted(value)}`);
  }
  return url;
}

/** `key1=value1,key2=value2` with percent-encoded values (W3C Baggage-style), as OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_RESOURCE_ATTRIBUTES are specified. */
function readKeyValueList(env: Env, name: string): Record<string, string> {
  const value = read(env, name);
  const result: Record<string, string> = {};
  if (value === undefined) return result;
  for (const entry of value.split(",")) {
    if (entry.trim() === "") continue;
    const separator = entry.indexOf("=");
    const key = separator > 0 ? entry.slice(0, separator).trim() : "";
    if (key === "") {
      throw new TelltaleConfigError(name, `${name} must be a comma-separated list of key=value pairs; got ${quoted(value)}`);
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(entry.slice(separator + 1).trim());
    } catch {
      throw new TelltaleConfigError(name, `${name} values must be percent-encoded; got ${quoted(entry)}`);
    }
    result[key] = decoded;
  }
  return result;
}

/** `OTEL_TRACES_EXPORTER` / `OTEL_METRICS_EXPORTER`: a comma-separated list; undefined when unset. */
function readExporterList(env: Env, name: string, allowed: readonly string[]): string[] | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  const names = value
    .split(",")
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part !== "");
  if (names.length === 0 || names.some((item) => !allowed.includes(item))) {
    throw new TelltaleConfigError(name, `${name} must be a comma-separated list of ${allowed.join(", ")}; got ${quoted(value)}`);
  }
  return names;
}

/** The OTLP/HTTP URL for a signal: none when the exporter list says `none` or leaves `otlp` out; the spec's default
 * endpoint when `otlp` is named without an endpoint; else the configured endpoint, if any. */
function otlpUrlFor(env: Env, signal: "traces" | "metrics", exporters: string[] | undefined): string | undefined {
  const configured = endpointFor(env, signal);
  if (exporters === undefined) return configured;
  if (exporters.includes("none") || !exporters.includes("otlp")) return undefined;
  return configured ?? `http://localhost:4318/v1/${signal}`;
}

/** The signal-specific variable is used as given; the generic one gets `/v1/<signal>` appended (OTLP/HTTP spec). */
function endpointFor(env: Env, signal: "traces" | "metrics"): string | undefined {
  const specific = readUrl(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`);
  const generic = readUrl(env, "OTEL_EXPORTER_OTLP_ENDPOINT");
  if (specific !== undefined) return specific.href;
  if (generic === undefined) return undefined;
  const base = generic.href.endsWith("/") ? generic.href : `${generic.href}/`;
  return `${base}v1/${signal}`;
}

function protocolFor(env: Env, signal: "traces" | "metrics"): OtlpProtocol {
  const specificName = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`;
  const generic = readOneOf(env, "OTEL_EXPORTER_OTLP_PROTOCOL", OTLP_PROTOCOLS);
  return readOneOf(env, specificName, OTLP_PROTOCOLS) ?? generic ?? "http/protobuf";
}

function budgetFrom(env: Env): BudgetOptions | undefined {
  const tokens = readPositiveNumber(env, "TELLTALE_BUDGET_TOKENS", true);
  const costUsd = readPositiveNumber(env, "TELLTALE_BUDGET_COST_USD", false);
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
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) {
    throw new TelltaleConfigError("shutdownTimeoutMs", `options.shutdownTimeoutMs must be 0 or more; got ${String(timeout)}`);
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
  const resourceAttributes = readKeyValueList(env, "OTEL_RESOURCE_ATTRIBUTES");
  const serviceName = options.serviceName ?? read(env, "OTEL_SERVICE_NAME");
  const sampling = options.sampling ?? readOneOf(env, "TELLTALE_SAMPLING", SAMPLING_MODES) ?? "in-process";
  const { policy, source } = policyFrom(env, options.policy);
  const telltaleCapture = readBoolean(env, "TELLTALE_CAPTURE_CONTENT");
  const genAiCapture = readBoolean(env, "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT");
  const envBudget = budgetFrom(env);
  const headers = readKeyValueList(env, "OTEL_EXPORTER_OTLP_HEADERS");
  const consoleSummary = readBoolean(env, "TELLTALE_CONSOLE_SUMMARY");
  const tracesExporters = readExporterList(env, "OTEL_TRACES_EXPORTER", ["otlp", "console", "none"]);
  const metricsExporters = readExporterList(env, "OTEL_METRICS_EXPORTER", ["otlp", "none"]);
  const shutdownTimeoutMs = readNonNegativeInteger(env, "TELLTALE_SHUTDOWN_TIMEOUT_MS");
  const metricExportIntervalMs = readPositiveNumber(env, "OTEL_METRIC_EXPORT_INTERVAL", true) ?? 60_000;
  return {
    disabled,
    serviceName,
    resourceAttributes,
    sampling,
    policy,
    policySource: source,
    captureContent: options.captureContent ?? telltaleCapture ?? genAiCapture ?? false,
    budget: options.budget ?? envBudget,
    tracesEndpoint: otlpUrlFor(env, "traces", tracesExporters),
    metricsEndpoint: otlpUrlFor(env, "metrics", metricsExporters),
    tracesHeaders: { ...headers, ...readKeyValueList(env, "OTEL_EXPORTER_OTLP_TRACES_HEADERS") },
    metricsHeaders: { ...headers, ...readKeyValueList(env, "OTEL_EXPORTER_OTLP_METRICS_HEADERS") },
    tracesProtocol: protocolFor(env, "traces"),
    metricsProtocol: protocolFor(env, "metrics"),
    consoleSummary:
      options.consoleSummary ??
      consoleSummary ??
      (tracesExporters?.includes("console") === true && !tracesExporters.includes("none")),
    handleSignals: options.handleSignals ?? true,
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    metricExportIntervalMs,
  };
}
