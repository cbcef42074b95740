// Every variable @telltale/node reads: a good value is parsed, a bad one throws TelltaleConfigError naming it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { defaultPolicy } from "@telltale/sampler";
import { readConfig, TelltaleConfigError } from "@telltale/node";
import { describe, expect, it } from "vitest";

function configError(env: Record<string, string>): TelltaleConfigError {
  try {
    readConfig({ env });
  } catch (error) {
    if (error instanceof TelltaleConfigError) return error;
    throw error;
  }
  throw new Error(`expected a TelltaleConfigError for ${JSON.stringify(env)}`);
}

describe("readConfig defaults (empty environment)", () => {
  it("samples in-process with the default policy, exports nowhere, handles signals", () => {
    const config = readConfig({ env: {} });
    expect(config).toMatchObject({
      disabled: false,
      serviceName: undefined,
      resourceAttributes: {},
      sampling: "in-process",
      policySource: "default",
      captureContent: false,
      budget: undefined,
      tracesEndpoint: undefined,
      metricsEndpoint: undefined,
      tracesProtocol: "http/protobuf",
      consoleSummary: false,
      handleSignals: true,
      shutdownTimeoutMs: 5000,
      metricExportIntervalMs: 60_000,
    });
    expect(config.policy).toBe(defaultPolicy);
  });

  it("treats blank values as unset", () => {
    expect(readConfig({ env: { TELLTALE_SAMPLING: "  ", OTEL_EXPORTER_OTLP_ENDPOINT: "" } })).toMatchObject({
      sampling: "in-process",
      tracesEndpoint: undefined,
    });
  });
});

describe("standard OTEL_* variables", () => {
  it("OTEL_SDK_DISABLED", () => {
    expect(readConfig({ env: { OTEL_SDK_DISABLED: "TRUE" } }).disabled).toBe(true);
    expect(readConfig({ env: { OTEL_SDK_DISABLED: "false" } }).disabled).toBe(false);
    const error = configError({ OTEL_SDK_DISABLED: "maybe" });
    expect(error.variable).toBe("OTEL_SDK_DISABLED");
    expect(error.message).toBe('OTEL_SDK_DISABLED must be true or false; got "maybe"');
  });

  it("OTEL_SERVICE_NAME, overridden by the serviceName option", () => {
    expect(readConfig({ env: { OTEL_SERVICE_NAME: "triage" } }).serviceName).toBe("triage");
    expect(readConfig({ env: { OTEL_SERVICE_NAME: "triage" }, serviceName: "option" }).serviceName).toBe("option");
  });

  it("OTEL_RESOURCE_ATTRIBUTES (percent-encoded values)", () => {
    expect(readConfig({ env: { OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod,team=ai%20platform" } }).resourceAttributes).toEqual({
      "deployment.environment.name": "prod",
      team: "ai platform",
    });
    expect(configError({ OTEL_RESOURCE_ATTRIBUTES: "prod" }).variable).toBe("OTEL_RESOURCE_ATTRIBUTES");
    expect(configError({ OTEL_RESOURCE_ATTRIBUTES: "team=%E0%A4%A" }).variable).toBe("OTEL_RESOURCE_ATTRIBUTES");
  });

  it("OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces and /v1/metrics appended", () => {
    expect(readConfig({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" } })).toMatchObject({
      tracesEndpoint: "http://collector:4318/v1/traces",
      metricsEndpoint: "http://collector:4318/v1/metrics",
    });
    const error = configError({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" });
    expect(error.variable).toBe("OTEL_EXPORTER_OTLP_ENDPOINT");
    expect(error.message).toContain("must be an http:// or https:// URL");
    expect(configError({ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://collector" }).variable).toBe("OTEL_EXPORTER_OTLP_ENDPOINT");
  });

  it("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as given and wins", () => {
    const config = readConfig({
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://b.example/otlp/traces" },
    });
    expect(config.tracesEndpoint).toBe("https://b.example/otlp/traces");
    expect(config.metricsEndpoint).toBe("http://a:4318/v1/metrics");
    expect(configError({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" }).variable).toBe("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  });

  it("OTEL_EXPORTER_OTLP_HEADERS and _TRACES_HEADERS (the specific one wins per key)", () => {
    const config = readConfig({
      env: { OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc,x-team=ai", OTEL_EXPORTER_OTLP_TRACES_HEADERS: "x-api-key=traces%3Dkey" },
    });
    expect(config.tracesHeaders).toEqual({ "x-api-key": "traces=key", "x-team": "ai" });
    expect(config.metricsHeaders).toEqual({ "x-api-key": "abc", "x-team": "ai" });
    expect(configError({ OTEL_EXPORTER_OTLP_HEADERS: "=abc" }).variable).toBe("OTEL_EXPORTER_OTLP_HEADERS");
  });

  it("OTEL_EXPORTER_OTLP_PROTOCOL and _TRACES_PROTOCOL: http/protobuf or http/json", () => {
    expect(readConfig({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" } }).tracesProtocol).toBe("http/json");
    expect(
      readConfig({ env: { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" } })
        .tracesProtocol,
    ).toBe("http/protobuf");
    const error = configError({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" });
    expect(error.variable).toBe("OTEL_EXPORTER_OTLP_PROTOCOL");
    expect(error.message).toBe('OTEL_EXPORTER_OTLP_PROTOCOL must be one of http/protobuf, http/json; got "grpc"');
    expect(configError({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "udp" }).variable).toBe("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
  });

  it("OTEL_TRACES_EXPORTER: otlp, console, none", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    expect(readConfig({ env: { ...endpoint, OTEL_TRACES_EXPORTER: "none" } }).tracesEndpoint).toBeUndefined();
    expect(readConfig({ env: { OTEL_TRACES_EXPORTER: "otlp" } }).tracesEndpoint).toBe("http://localhost:4318/v1/traces");
    expect(readConfig({ env: { ...endpoint, OTEL_TRACES_EXPORTER: "console" } })).toMatchObject({
      tracesEndpoint: undefined,
      consoleSummary: true,
    });
    expect(readConfig({ env: { ...endpoint, OTEL_TRACES_EXPORTER: "otlp, console" } })).toMatchObject({
      tracesEndpoint: "http://collector:4318/v1/traces",
      consoleSummary: true,
    });
    expect(readConfig({ env: { OTEL_TRACES_EXPORTER: "console", TELLTALE_CONSOLE_SUMMARY: "false" } }).consoleSummary).toBe(false);
    const error = configError({ OTEL_TRACES_EXPORTER: "zipkin" });
    expect(error.variable).toBe("OTEL_TRACES_EXPORTER");
    expect(error.message).toBe('OTEL_TRACES_EXPORTER must be a comma-separated list of otlp, console, none; got "zipkin"');
  });

  it("OTEL_METRICS_EXPORTER: otlp, none", () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" };
    expect(readConfig({ env: { ...endpoint, OTEL_METRICS_EXPORTER: "none" } }).metricsEndpoint).toBeUndefined();
    expect(readConfig({ env: { OTEL_METRICS_EXPORTER: "otlp" } }).metricsEndpoint).toBe("http://localhost:4318/v1/metrics");
    expect(configError({ OTEL_METRICS_EXPORTER: "prometheus" }).variable).toBe("OTEL_METRICS_EXPORTER");
  });

  it("OTEL_METRIC_EXPORT_INTERVAL", () => {
    expect(readConfig({ env: { OTEL_METRIC_EXPORT_INTERVAL: "15000" } }).metricExportIntervalMs).toBe(15_000);
    expect(configError({ OTEL_METRIC_EXPORT_INTERVAL: "15s" }).variable).toBe("OTEL_METRIC_EXPORT_INTERVAL");
    expect(configError({ OTEL_METRIC_EXPORT_INTERVAL: "0" }).variable).toBe("OTEL_METRIC_EXPORT_INTERVAL");
    expect(configError({ OTEL_METRIC_EXPORT_INTERVAL: "2147483648" }).message).toBe(
      'OTEL_METRIC_EXPORT_INTERVAL must be a whole number from 1 to 2147483647 (milliseconds); got "2147483648"',
    );
  });

  it("OTEL_EXPORTER_OTLP_TIMEOUT and the per-signal ones: 1 to 2^31-1 ms, the specific one wins", () => {
    expect(readConfig({ env: {} })).toMatchObject({ tracesTimeoutMs: 10_000, metricsTimeoutMs: 10_000 });
    expect(
      readConfig({ env: { OTEL_EXPORTER_OTLP_TIMEOUT: "2500", OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "700" } }),
    ).toMatchObject({ tracesTimeoutMs: 2500, metricsTimeoutMs: 700 });
    expect(configError({ OTEL_EXPORTER_OTLP_TIMEOUT: "10s" }).message).toBe(
      'OTEL_EXPORTER_OTLP_TIMEOUT must be a whole number from 1 to 2147483647 (milliseconds); got "10s"',
    );
    expect(configError({ OTEL_EXPORTER_OTLP_TIMEOUT: "0" }).variable).toBe("OTEL_EXPORTER_OTLP_TIMEOUT");
    expect(configError({ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "2147483648" }).variable).toBe("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT");
    // A bad generic value is reported even when the specific one is good.
    expect(configError({ OTEL_EXPORTER_OTLP_TIMEOUT: "-5", OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "100" }).variable).toBe(
      "OTEL_EXPORTER_OTLP_TIMEOUT",
    );
  });

  it("OTEL_EXPORTER_OTLP_COMPRESSION and the per-signal ones: gzip (the default) or none", () => {
    expect(readConfig({ env: {} })).toMatchObject({ tracesCompression: "gzip", metricsCompression: "gzip" });
    expect(readConfig({ env: { OTEL_EXPORTER_OTLP_COMPRESSION: "none" } })).toMatchObject({
      tracesCompression: "none",
      metricsCompression: "none",
    });
    // The per-signal variable wins over the general one, either way.
    expect(
      readConfig({ env: { OTEL_EXPORTER_OTLP_COMPRESSION: "gzip", OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "none" } }),
    ).toMatchObject({ tracesCompression: "gzip", metricsCompression: "none" });
    expect(
      readConfig({ env: { OTEL_EXPORTER_OTLP_COMPRESSION: "none", OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "gzip" } }),
    ).toMatchObject({ tracesCompression: "gzip", metricsCompression: "none" });
    expect(readConfig({ env: { OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "NONE" } })).toMatchObject({
      tracesCompression: "none",
      metricsCompression: "gzip",
    });
    expect(configError({ OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" }).message).toBe(
      'OTEL_EXPORTER_OTLP_COMPRESSION must be one of gzip, none; got "zstd"',
    );
    expect(configError({ OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "zip" }).variable).toBe("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION");
    expect(configError({ OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "deflate" }).message).toBe(
      'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION must be one of gzip, none; got "deflate"',
    );
    // A bad general value is reported even when both per-signal ones are good.
    expect(
      configError({
        OTEL_EXPORTER_OTLP_COMPRESSION: "br",
        OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "none",
        OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "none",
      }).variable,
    ).toBe("OTEL_EXPORTER_OTLP_COMPRESSION");
  });

  it("OTEL_LOG_LEVEL: none, error, warn, info, debug, verbose, all (any case)", () => {
    expect(readConfig({ env: {} }).logLevel).toBeUndefined();
    expect(readConfig({ env: { OTEL_LOG_LEVEL: "WARN" } }).logLevel).toBe("warn");
    expect(configError({ OTEL_LOG_LEVEL: "loud" }).message).toBe(
      'OTEL_LOG_LEVEL must be one of none, error, warn, info, debug, verbose, all; got "loud"',
    );
  });

  it("OTEL_PROPAGATORS: the propagators the Node SDK builds", () => {
    expect(readConfig({ env: { OTEL_PROPAGATORS: "tracecontext, baggage,b3" } }).propagators).toEqual(["tracecontext", "baggage", "b3"]);
    expect(configError({ OTEL_PROPAGATORS: "tracecontext,xray" }).message).toBe(
      'OTEL_PROPAGATORS must be a comma-separated list of tracecontext, baggage, b3, b3multi, none; got "tracecontext,xray"',
    );
    // The SDK matches names exactly: "TraceContext" would be dropped with a diag warning, so it is refused here.
    expect(configError({ OTEL_PROPAGATORS: "TraceContext" }).variable).toBe("OTEL_PROPAGATORS");
  });

  it("OTEL_TRACES_SAMPLER: a head sampler that drops traces is refused while Telltale tail-samples", () => {
    expect(readConfig({ env: {} }).headSampler).toBeUndefined();
    expect(readConfig({ env: { OTEL_TRACES_SAMPLER: "always_on" } }).headSampler).toBe("always_on");
    expect(readConfig({ env: { OTEL_TRACES_SAMPLER: "parentbased_always_on" } }).headSampler).toBe("parentbased_always_on");
    for (const sampler of ["always_off", "traceidratio", "parentbased_traceidratio", "parentbased_always_off"]) {
      const error = configError({ OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: "0.1" });
      expect(error.variable).toBe("OTEL_TRACES_SAMPLER");
      expect(error.message).toContain(`OTEL_TRACES_SAMPLER=${sampler} drops traces before Telltale's tail sampling (in-process)`);
    }
    expect(configError({ OTEL_TRACES_SAMPLER: "traceidratio", TELLTALE_SAMPLING: "collector" }).message).toContain(
      "tail sampling (collector)",
    );
    // With sampling off, head sampling is the user's choice; its ratio is still checked.
    expect(
      readConfig({ env: { OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "0.25", TELLTALE_SAMPLING: "off" } })
        .headSampler,
    ).toBe("traceidratio");
    expect(
      configError({ OTEL_TRACES_SAMPLER: "traceidratio", OTEL_TRACES_SAMPLER_ARG: "2", TELLTALE_SAMPLING: "off" }).variable,
    ).toBe("OTEL_TRACES_SAMPLER_ARG");
    expect(configError({ OTEL_TRACES_SAMPLER: "xray" }).message).toBe(
      "OTEL_TRACES_SAMPLER must be one of always_on, parentbased_always_on, always_off, parentbased_always_off, " +
        'traceidratio, parentbased_traceidratio; got "xray"',
    );
  });

  it("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT / OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT override the 16384-character default", () => {
    expect(readConfig({ env: {} }).attributeValueLengthLimit).toBe(16_384);
    expect(readConfig({ env: { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: "1000000" } }).attributeValueLengthLimit).toBe(1_000_000);
    expect(
      readConfig({ env: { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: "100", OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: "200" } })
        .attributeValueLengthLimit,
    ).toBe(200);
    expect(configError({ OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: "0" }).variable).toBe("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT");
    expect(configError({ OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: "lots" }).variable).toBe("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT");
  });

  it("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, overridden by TELLTALE_CAPTURE_CONTENT", () => {
    expect(readConfig({ env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true" } }).captureContent).toBe(true);
    expect(
      readConfig({ env: { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "true", TELLTALE_CAPTURE_CONTENT: "false" } })
        .captureContent,
    ).toBe(false);
    expect(configError({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: "yes please" }).variable).toBe(
      "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    );
  });
});

describe("TELLTALE_* variables", () => {
  it("TELLTALE_SAMPLING: in-process | collector | off", () => {
    expect(readConfig({ env: { TELLTALE_SAMPLING: "collector" } }).sampling).toBe("collector");
    expect(readConfig({ env: { TELLTALE_SAMPLING: "OFF" } }).sampling).toBe("off");
    const error = configError({ TELLTALE_SAMPLING: "sometimes" });
    expect(error.variable).toBe("TELLTALE_SAMPLING");
    expect(error.message).toBe('TELLTALE_SAMPLING must be one of in-process, collector, off; got "sometimes"');
  });

  it("TELLTALE_POLICY_FILE: a YAML or JSON policy", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "telltale-node-config-"));
    const good = path.join(dir, "policy.yaml");
    writeFileSync(good, "rules:\n  slow:\n    thresholdMs: 1500\nbaseline:\n  percentage: 0\n");
    const config = readConfig({ env: { TELLTALE_POLICY_FILE: good } });
    expect(config.policySource).toBe(good);
    expect(config.policy.rules.slow).toMatchObject({ thresholdMs: 1500 });
    expect(config.policy.baseline.percentage).toBe(0);

    const invalid = path.join(dir, "invalid.yaml");
    writeFileSync(invalid, "rules:\n  retries:\n    min: x\n");
    const invalidError = configError({ TELLTALE_POLICY_FILE: invalid });
    expect(invalidError.variable).toBe("TELLTALE_POLICY_FILE");
    expect(invalidError.message).toContain('"rules.retries.min" must be an integer from 1 to 1000000');

    expect(configError({ TELLTALE_POLICY_FILE: path.join(dir, "missing.yaml") }).variable).toBe("TELLTALE_POLICY_FILE");
  });

  it("TELLTALE_CAPTURE_CONTENT", () => {
    expect(readConfig({ env: { TELLTALE_CAPTURE_CONTENT: "true" } }).captureContent).toBe(true);
    expect(configError({ TELLTALE_CAPTURE_CONTENT: "1" }).message).toBe('TELLTALE_CAPTURE_CONTENT must be true or false; got "1"');
  });

  it("TELLTALE_BUDGET_TOKENS, TELLTALE_BUDGET_COST_USD, TELLTALE_BUDGET_MODE", () => {
    expect(readConfig({ env: { TELLTALE_BUDGET_TOKENS: "20000" } }).budget).toEqual({ tokens: 20_000, mode: "observe" });
    expect(
      readConfig({ env: { TELLTALE_BUDGET_TOKENS: "20000", TELLTALE_BUDGET_COST_USD: "0.25", TELLTALE_BUDGET_MODE: "enforce" } }).budget,
    ).toEqual({ tokens: 20_000, costUsd: 0.25, mode: "enforce" });
    expect(configError({ TELLTALE_BUDGET_TOKENS: "2e4" }).variable).toBe("TELLTALE_BUDGET_TOKENS");
    expect(configError({ TELLTALE_BUDGET_TOKENS: "0" }).message).toBe(
      'TELLTALE_BUDGET_TOKENS must be a whole number from 1 to 9007199254740991 (tokens); got "0"',
    );
    expect(configError({ TELLTALE_BUDGET_TOKENS: "9007199254740993" }).variable).toBe("TELLTALE_BUDGET_TOKENS");
    expect(configError({ TELLTALE_BUDGET_COST_USD: "1e3" }).variable).toBe("TELLTALE_BUDGET_COST_USD");
    expect(configError({ TELLTALE_BUDGET_COST_USD: "2000000" }).message).toBe(
      'TELLTALE_BUDGET_COST_USD must be a number greater than 0 and at most 1000000; got "2000000"',
    );
    expect(configError({ TELLTALE_BUDGET_COST_USD: "-1" }).variable).toBe("TELLTALE_BUDGET_COST_USD");
    expect(configError({ TELLTALE_BUDGET_COST_USD: "$5" }).variable).toBe("TELLTALE_BUDGET_COST_USD");
    expect(configError({ TELLTALE_BUDGET_TOKENS: "100", TELLTALE_BUDGET_MODE: "strict" }).message).toBe(
      'TELLTALE_BUDGET_MODE must be one of observe, enforce; got "strict"',
    );
    expect(configError({ TELLTALE_BUDGET_MODE: "enforce" }).variable).toBe("TELLTALE_BUDGET_MODE");
  });

  it("TELLTALE_CONSOLE_SUMMARY", () => {
    expect(readConfig({ env: { TELLTALE_CONSOLE_SUMMARY: "true" } }).consoleSummary).toBe(true);
    expect(readConfig({ env: { TELLTALE_CONSOLE_SUMMARY: "true" }, consoleSummary: false }).consoleSummary).toBe(false);
    expect(configError({ TELLTALE_CONSOLE_SUMMARY: "loud" }).variable).toBe("TELLTALE_CONSOLE_SUMMARY");
  });

  it("TELLTALE_SHUTDOWN_TIMEOUT_MS", () => {
    expect(readConfig({ env: { TELLTALE_SHUTDOWN_TIMEOUT_MS: "250" } }).shutdownTimeoutMs).toBe(250);
    expect(readConfig({ env: { TELLTALE_SHUTDOWN_TIMEOUT_MS: "250" }, shutdownTimeoutMs: 10 }).shutdownTimeoutMs).toBe(10);
    expect(configError({ TELLTALE_SHUTDOWN_TIMEOUT_MS: "5s" }).variable).toBe("TELLTALE_SHUTDOWN_TIMEOUT_MS");
  });

  it("TELLTALE_SHUTDOWN_TIMEOUT_MS stays within what a Node timer can wait (a larger delay would fire after 1 ms)", () => {
    expect(readConfig({ env: { TELLTALE_SHUTDOWN_TIMEOUT_MS: "2147483647" } }).shutdownTimeoutMs).toBe(2_147_483_647);
    expect(readConfig({ env: { TELLTALE_SHUTDOWN_TIMEOUT_MS: "0" } }).shutdownTimeoutMs).toBe(0);
    expect(configError({ TELLTALE_SHUTDOWN_TIMEOUT_MS: "2147483648" }).message).toBe(
      'TELLTALE_SHUTDOWN_TIMEOUT_MS must be a whole number from 0 to 2147483647 (milliseconds); got "2147483648"',
    );
    expect(configError({ TELLTALE_SHUTDOWN_TIMEOUT_MS: "-1" }).variable).toBe("TELLTALE_SHUTDOWN_TIMEOUT_MS");
  });

  it("TELLTALE_CAPTURE_COMMAND_ARGS: off unless set", () => {
    expect(readConfig({ env: {} }).captureCommandArgs).toBe(false);
    expect(readConfig({ env: { TELLTALE_CAPTURE_COMMAND_ARGS: "true" } }).captureCommandArgs).toBe(true);
    expect(configError({ TELLTALE_CAPTURE_COMMAND_ARGS: "yes" }).variable).toBe("TELLTALE_CAPTURE_COMMAND_ARGS");
  });
});

describe("options", () => {
  it("a bad sampling option or policy is a TelltaleConfigError too", () => {
    expect(() => readConfig({ env: {}, sampling: "never" as "off" })).toThrow(TelltaleConfigError);
    expect(() => readConfig({ env: {}, policy: { baseline: { percentage: 250 } } })).toThrow(/options.policy/);
    expect(() => readConfig({ env: {}, shutdownTimeoutMs: -1 })).toThrow(/shutdownTimeoutMs/);
    expect(() => readConfig({ env: {}, shutdownTimeoutMs: 2 ** 31 })).toThrow(/from 0 to 2147483647/);
    expect(() => readConfig({ env: {}, shutdownTimeoutMs: Number.POSITIVE_INFINITY })).toThrow(/shutdownTimeoutMs/);
  });
});
