/**
 * `start()` / `shutdown()`: the OpenTelemetry Node SDK with Telltale's instrumentations, GenAI metrics and the
 * in-process tail sampler, configured from the environment.
 *
 * The running SDK is kept on `globalThis` (not in module scope) because `register` and the main entry are separate
 * bundles, and an app may load both the ESM and the CJS build: all of them must see one SDK.
 */
import { context, diag, metrics, propagation, trace, type Attributes } from "@opentelemetry/api";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPMetricExporter as OTLPMetricExporterJson } from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPMetricExporter as OTLPMetricExporterProto } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPTraceExporter as OTLPTraceExporterJson } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPTraceExporterProto } from "@opentelemetry/exporter-trace-otlp-proto";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import {
  defaultResource,
  detectResources,
  envDetector,
  hostDetector,
  osDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
  type Resource,
} from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { ATTR_SERVICE_NAME, ATTR_TELLTALE_SAMPLING_REASONS, setDefaultBudget } from "@telltale/core";
import { AnthropicInstrumentation } from "@telltale/instrumentation-anthropic";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import { LangChainInstrumentation } from "@telltale/langchain";
import { OpenAIAgentsInstrumentation } from "@telltale/openai-agents";
import { TailSamplingSpanProcessor } from "@telltale/sampler";
import { readConfig, type TelltaleConfig, type TelltaleConfigOptions } from "./config.js";
import { ConsoleSummaryExporter } from "./console-summary.js";

export interface StartOptions extends TelltaleConfigOptions {
  /** Extra resource attributes (they win over `OTEL_RESOURCE_ATTRIBUTES`). */
  resourceAttributes?: Attributes;
  /** Where kept traces go (every span with sampling `collector`/`off`). Default: OTLP/HTTP when
   * `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set, else nothing (the sampler still decides and counts). */
  traceExporter?: SpanExporter;
  /** Extra processors that see every span before sampling (e.g. a demo's tree printer). */
  spanProcessors?: SpanProcessor[];
  /** Replaces the OTLP metric reader (GenAI metrics, sampler counters). */
  metricReaders?: IMetricReader[];
  /** More instrumentations to enable alongside Telltale's. */
  instrumentations?: Instrumentation[];
  /** Where the console summary writes; default stderr. */
  consoleWrite?: (text: string) => void;
}

/** One kept trace, as the in-process sampler exported it. */
export interface KeptTraceSummary {
  readonly traceId: string;
  /** The local root span's name (`invoke_agent triage`), or undefined if the root was not exported (yet). */
  readonly rootName: string | undefined;
  /** `telltale.sampling.reasons` from the root: why the trace was kept. */
  readonly reasons: readonly string[];
  /** Spans exported for this trace so far. */
  readonly spanCount: number;
}

export interface TelltaleSdk {
  /** The configuration in effect. */
  readonly config: TelltaleConfig;
  /** False when `OTEL_SDK_DISABLED=true`: nothing was started. */
  readonly enabled: boolean;
  /** Where spans go, in words (for logs and demos), e.g. `OTLP http://collector:4318/v1/traces (http/protobuf)`. */
  readonly destinations: readonly string[];
  /** The in-process sampler, when sampling is `in-process` (its `stats()`: kept/dropped traces per reason). */
  readonly sampler: TailSamplingSpanProcessor | undefined;
  /** With in-process sampling: the kept traces exported so far, oldest first (the last 10 000). */
  keptTraces(): KeptTraceSummary[];
  /** Exports what is already decided (decides nothing early). */
  forceFlush(): Promise<void>;
  /** Decides every pending trace, exports what is kept and stops, within the shutdown timeout. Idempotent. */
  shutdown(): Promise<void>;
}

const SDK_KEY = Symbol.for("telltale.node.sdk.v1");

type GlobalHolder = Record<symbol, TelltaleSdk | undefined>;

function currentSdk(): TelltaleSdk | undefined {
  return (globalThis as unknown as GlobalHolder)[SDK_KEY];
}

/** Sends every batch to each exporter; succeeds only if all do (so the sampler counts a failure once). */
class FanOutExporter implements SpanExporter {
  constructor(private readonly exporters: readonly SpanExporter[]) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let remaining = this.exporters.length;
    let failure: ExportResult | undefined;
    const settle = (result: ExportResult): void => {
      if (result.code !== ExportResultCode.SUCCESS) failure ??= result;
      remaining -= 1;
      if (remaining === 0) resultCallback(failure ?? { code: ExportResultCode.SUCCESS });
    };
    for (const exporter of this.exporters) {
      try {
        exporter.export(spans, settle);
      } catch (error) {
        settle({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      }
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.exporters.map((exporter) => exporter.forceFlush?.()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.exporters.map((exporter) => exporter.shutdown()));
  }
}

/** Drops everything: the sampler still decides and counts when no destination is configured. */
class DiscardingExporter implements SpanExporter {
  export(_spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function withTimeout(work: Promise<void>, timeoutMs: number, what: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      diag.warn(`@telltale/node: ${what} did not finish within ${timeoutMs} ms; giving up`);
      resolve();
    }, timeoutMs);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        diag.error(`@telltale/node: ${what} failed`, error);
        resolve();
      },
    );
  });
}

function buildResource(config: TelltaleConfig, options: StartOptions): Resource {
  // The env detector runs last so OTEL_RESOURCE_ATTRIBUTES / OTEL_SERVICE_NAME win over detected values; the
  // config's own values are applied again on top so that `options.env` (tests) and `options.serviceName` count.
  const detected = defaultResource().merge(
    detectResources({ detectors: [serviceInstanceIdDetector, processDetector, hostDetector, osDetector, envDetector] }),
  );
  const overrides: Attributes = {
    ...config.resourceAttributes,
    ...options.resourceAttributes,
    ...(config.serviceName !== undefined && { [ATTR_SERVICE_NAME]: config.serviceName }),
  };
  return Object.keys(overrides).length > 0 ? detected.merge(resourceFromAttributes(overrides)) : detected;
}

function otlpTraceExporter(config: TelltaleConfig, url: string): SpanExporter {
  const exporterConfig = { url, headers: { ...config.tracesHeaders } };
  return config.tracesProtocol === "http/json"
    ? new OTLPTraceExporterJson(exporterConfig)
    : new OTLPTraceExporterProto(exporterConfig);
}

/** The standard OTLP/HTTP traces URL, used when spans must leave the process (sampling `collector`/`off`) and no
 * endpoint is configured. */
const DEFAULT_OTLP_TRACES_URL = "http://localhost:4318/v1/traces";

const MAX_KEPT_TRACE_SUMMARIES = 10_000;

/** Remembers what the sampler exported, per trace, for `keptTraces()`; passes every batch on unchanged. */
class KeptTraceRecorder implements SpanExporter {
  private readonly traces = new Map<string, { rootName: string | undefined; reasons: string[]; spanCount: number }>();

  constructor(private readonly next: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      for (const span of spans) {
        const traceId = span.spanContext().traceId;
        let entry = this.traces.get(traceId);
        if (entry === undefined) {
          entry = { rootName: undefined, reasons: [], spanCount: 0 };
          this.traces.set(traceId, entry);
          if (this.traces.size > MAX_KEPT_TRACE_SUMMARIES) this.traces.delete(this.traces.keys().next().value!);
        }
        entry.spanCount += 1;
        const parent = span.parentSpanContext;
        if (parent === undefined || parent.isRemote === true) {
          entry.rootName = span.name;
          const reasons = span.attributes[ATTR_TELLTALE_SAMPLING_REASONS];
          if (Array.isArray(reasons)) entry.reasons = reasons.map((reason) => String(reason));
        }
      }
    } catch (error) {
      diag.error("@telltale/node: recording kept traces failed", error);
    }
    this.next.export(spans, resultCallback);
  }

  summaries(): KeptTraceSummary[] {
    return [...this.traces].map(([traceId, entry]) => ({ traceId, ...entry, reasons: [...entry.reasons] }));
  }

  forceFlush(): Promise<void> {
    return this.next.forceFlush?.() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.next.shutdown();
  }
}

function disabledSdk(config: TelltaleConfig): TelltaleSdk {
  return {
    config,
    enabled: false,
    destinations: [],
    sampler: undefined,
    keptTraces: () => [],
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}

/**
 * Starts tracing and metrics for this process. Call it before `openai` / `@anthropic-ai/sdk` are loaded (or use
 * `@telltale/node/register`). A second call returns the running SDK. Throws {@link TelltaleConfigError} on a bad
 * environment variable or option.
 */
export function start(options: StartOptions = {}): TelltaleSdk {
  const running = currentSdk();
  if (running !== undefined) {
    // Typically register preloaded and the app calls start() too: the first configuration stays in effect.
    if (Object.keys(options).length > 0) diag.warn("@telltale/node: already started; the options of this start() are ignored");
    return running;
  }
  const config = readConfig(options);
  if (config.disabled) return disabledSdk(config);

  // @anthropic-ai/sdk 0.13x/1.x makes its own span per call when a global provider exists, with gen_ai.usage.*
  // that double-counts ours in backends that sum usage. The SDK reads process.env; the user's explicit choice wins.
  if (process.env.ANTHROPIC_OPEN_TELEMETRY === undefined) process.env.ANTHROPIC_OPEN_TELEMETRY = "false";

  setDefaultBudget(config.budget);
  const resource = buildResource(config, options);

  // Metrics first: the sampler takes its meter from the provider when it is constructed.
  const metricReaders =
    options.metricReaders ??
    (config.metricsEndpoint === undefined
      ? []
      : [
          new PeriodicExportingMetricReader({
            exporter:
              config.metricsProtocol === "http/json"
                ? new OTLPMetricExporterJson({ url: config.metricsEndpoint, headers: { ...config.metricsHeaders } })
                : new OTLPMetricExporterProto({ url: config.metricsEndpoint, headers: { ...config.metricsHeaders } }),
            exportIntervalMillis: config.metricExportIntervalMs,
          }),
        ]);
  const meterProvider = metricReaders.length > 0 ? new MeterProvider({ resource, readers: metricReaders }) : undefined;
  if (meterProvider !== undefined) metrics.setGlobalMeterProvider(meterProvider);

  const destinations: string[] = [];
  const exporters: SpanExporter[] = [];
  const tracesEndpoint =
    config.tracesEndpoint ?? (config.sampling !== "in-process" && options.traceExporter === undefined ? DEFAULT_OTLP_TRACES_URL : undefined);
  if (options.traceExporter !== undefined) {
    exporters.push(options.traceExporter);
    destinations.push(`the given trace exporter (${options.traceExporter.constructor.name})`);
  } else if (tracesEndpoint !== undefined) {
    exporters.push(otlpTraceExporter(config, tracesEndpoint));
    destinations.push(`OTLP ${tracesEndpoint} (${config.tracesProtocol})`);
  }
  const consoleSummary = config.consoleSummary
    ? new ConsoleSummaryExporter({
        ...(options.consoleWrite !== undefined && { write: options.consoleWrite }),
        heading: config.sampling === "in-process" ? "kept trace" : "trace",
      })
    : undefined;
  if (consoleSummary !== undefined) {
    exporters.push(consoleSummary);
    destinations.push("console summary");
  }
  if (exporters.length === 0) destinations.push("nowhere (set OTEL_EXPORTER_OTLP_ENDPOINT or TELLTALE_CONSOLE_SUMMARY=true)");
  const exporter =
    exporters.length === 0 ? new DiscardingExporter() : exporters.length === 1 ? exporters[0]! : new FanOutExporter(exporters);

  let sampler: TailSamplingSpanProcessor | undefined;
  let recorder: KeptTraceRecorder | undefined;
  let mainProcessor: SpanProcessor;
  if (config.sampling === "in-process") {
    recorder = new KeptTraceRecorder(exporter);
    sampler = new TailSamplingSpanProcessor({
      exporter: recorder,
      policy: config.policy,
      ...(meterProvider !== undefined && { meterProvider }),
    });
    mainProcessor = sampler;
  } else {
    mainProcessor = new BatchSpanProcessor({ exporter });
  }
  const spanProcessors = [...(options.spanProcessors ?? []), mainProcessor];

  const instrumentations: Instrumentation[] = [
    new OpenAIInstrumentation({ captureMessageContent: config.captureContent }),
    new AnthropicInstrumentation({ captureMessageContent: config.captureContent }),
    // They act only if @langchain/core / @openai/agents-core load: the handler and the processor join each run.
    new LangChainInstrumentation(),
    new OpenAIAgentsInstrumentation(),
    ...(options.instrumentations ?? []),
  ];
  if (meterProvider !== undefined) for (const instrumentation of instrumentations) instrumentation.setMeterProvider(meterProvider);

  const nodeSdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    spanProcessors,
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations,
  });
  nodeSdk.start();

  let shutdownPromise: Promise<void> | undefined;
  let removeProcessHooks = (): void => {};
  const sdk: TelltaleSdk = {
    config,
    enabled: true,
    destinations,
    sampler,
    keptTraces: () => recorder?.summaries() ?? [],
    forceFlush: () =>
      withTimeout(
        Promise.all([...spanProcessors.map((processor) => processor.forceFlush()), meterProvider?.forceFlush()]).then(
          () => undefined,
        ),
        config.shutdownTimeoutMs,
        "flush",
      ),
    shutdown: () => {
      shutdownPromise ??= (async () => {
        removeProcessHooks();
        await withTimeout(
          Promise.all([nodeSdk.shutdown(), meterProvider?.shutdown()]).then(() => undefined),
          config.shutdownTimeoutMs,
          "shutdown",
        );
        if (consoleSummary !== undefined && sampler !== undefined) {
          const stats = sampler.stats();
          (options.consoleWrite ?? ((text: string) => void process.stderr.write(text)))(
            `telltale: ${stats.tracesKept} traces kept, ${stats.tracesDropped} dropped\n`,
          );
        }
        // NodeSDK leaves its globals and patches in place; undo them so the SDK really is off and a later
        // start() (tests, reconfiguration) registers fresh ones instead of hitting "duplicate registration".
        for (const instrumentation of instrumentations) instrumentation.disable();
        trace.disable();
        context.disable();
        propagation.disable();
        if (meterProvider !== undefined) metrics.disable();
        if (currentSdk() === sdk) (globalThis as unknown as GlobalHolder)[SDK_KEY] = undefined;
      })();
      return shutdownPromise;
    },
  };
  (globalThis as unknown as GlobalHolder)[SDK_KEY] = sdk;

  if (config.handleSignals) removeProcessHooks = installProcessHooks(sdk);
  diag.debug(`@telltale/node: started (sampling ${config.sampling}; spans to ${destinations.join(", ")})`);
  return sdk;
}

/**
 * SIGTERM/SIGINT: flush, then keep Node's default behaviour. Node exits on these signals only when nobody listens,
 * so once flushed we re-raise the signal if ours was the only listener; if the app has its own, the app decides.
 * beforeExit: the event loop is empty (pending sampler decisions use unref'd timers), so decide and export now.
 */
function installProcessHooks(sdk: TelltaleSdk): () => void {
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT"];
  const onSignal = (signal: NodeJS.Signals): void => {
    for (const name of signals) process.removeListener(name, onSignal);
    void sdk.shutdown().then(() => {
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  };
  const onBeforeExit = (): void => {
    process.removeListener("beforeExit", onBeforeExit);
    void sdk.shutdown();
  };
  for (const name of signals) process.on(name, onSignal);
  process.on("beforeExit", onBeforeExit);
  return () => {
    for (const name of signals) process.removeListener(name, onSignal);
    process.removeListener("beforeExit", onBeforeExit);
  };
}

/** Shuts the running SDK down (see {@link TelltaleSdk.shutdown}); resolves at once if none is running. */
export function shutdown(): Promise<void> {
  return currentSdk()?.shutdown() ?? Promise.resolve();
}

/** The SDK `start()` returned, if it is running. */
export function getSdk(): TelltaleSdk | undefined {
  return currentSdk();
}
