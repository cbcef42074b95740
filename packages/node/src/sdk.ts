/**
 * `start()` / `shutdown()`: the OpenTelemetry Node SDK with Telltale's instrumentations, GenAI metrics and the
 * in-process tail sampler, configured from the environment.
 *
 * The running SDK is kept on `globalThis` (not in module scope) because `register` and the main entry are separate
 * bundles, and an app may load both the ESM and the CJS build: all of them must see one SDK.
 */
import { context, diag, logs, metrics, propagation, trace, type Attributes, type MeterProvider } from "@opentelemetry/api";
import type { Instrumentation } from "@opentelemetry/instrumentation";
import type { IMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { registerGlobalTelemetry } from "@telltale/ai-sdk";
import { setDefaultBudget } from "@telltale/core";
import { AnthropicInstrumentation } from "@telltale/instrumentation-anthropic";
import { McpInstrumentation } from "@telltale/instrumentation-mcp";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import { LangChainInstrumentation } from "@telltale/langchain";
import { OpenAIAgentsInstrumentation } from "@telltale/openai-agents";
import { TailSamplingSpanProcessor } from "@telltale/sampler";
import { abortGraceMs, settlesWithin } from "./bounded.js";
import { readConfig, type TelltaleConfig, type TelltaleConfigOptions } from "./config.js";
import { writeToStderr, type WarningWrite } from "./export-warnings.js";
import { buildMetrics, buildTraceExport, type TraceExport } from "./exporters.js";
import type { OtlpHttpTransport } from "./otlp-http-transport.js";
import { installProcessHooks } from "./process-hooks.js";
import { StatusMessageLimit } from "./status-message-limit.js";
import { buildResource } from "./resource.js";
import type { KeptTraceSummary } from "./span-exporters.js";
import { NODE_DIAG } from "./diag.js";

export type { KeptTraceSummary } from "./span-exporters.js";

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
  /** Where Telltale's own warnings go (a failing export, a shutdown that gave up); default stderr. */
  warningWrite?: WarningWrite;
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
  /**
   * Decides every pending trace, exports what is kept and stops, within the shutdown timeout; then releases every
   * global it registered. An export still running at the timeout is aborted (its spans are counted as lost), so the
   * process can exit right after. Idempotent.
   */
  shutdown(): Promise<void>;
}

const SDK_KEY = Symbol.for("telltale.node.sdk.v1");

type GlobalHolder = Record<symbol, TelltaleSdk | undefined>;

function currentSdk(): TelltaleSdk | undefined {
  return (globalThis as unknown as GlobalHolder)[SDK_KEY];
}

function setCurrentSdk(sdk: TelltaleSdk | undefined): void {
  (globalThis as unknown as GlobalHolder)[SDK_KEY] = sdk;
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
 * The process-wide settings Telltale changes besides the OpenTelemetry API globals; returns their undo.
 * `@anthropic-ai/sdk` 0.13x/1.x makes its own span per call when a global provider exists, with gen_ai.usage.* that
 * double-counts ours in backends that sum usage. The SDK reads process.env; the user's explicit choice wins.
 */
function claimProcessSettings(config: TelltaleConfig): () => void {
  const setAnthropicFlag = process.env.ANTHROPIC_OPEN_TELEMETRY === undefined;
  if (setAnthropicFlag) process.env.ANTHROPIC_OPEN_TELEMETRY = "false";
  setDefaultBudget(config.budget);
  return () => {
    if (setAnthropicFlag && process.env.ANTHROPIC_OPEN_TELEMETRY === "false") delete process.env.ANTHROPIC_OPEN_TELEMETRY;
    setDefaultBudget(undefined);
  };
}

/** The in-process tail sampler, built in one place so its options stay together. */
function createTailSampler(
  config: TelltaleConfig,
  exporter: SpanExporter,
  meterProvider: MeterProvider | undefined,
  warn: WarningWrite,
): TailSamplingSpanProcessor {
  return new TailSamplingSpanProcessor({
    exporter,
    policy: config.policy,
    // The sampler gives up on its exports just before the SDK aborts the transports, so what the abort leaves
    // undelivered is still counted as lost within the shutdown timeout.
    shutdownTimeoutMillis: config.shutdownTimeoutMs - abortGraceMs(config.shutdownTimeoutMs),
    warningSink: warn,
    ...(meterProvider !== undefined && { meterProvider }),
  });
}

/** `in-process`: the tail sampler; `collector` / `off`: every span, batched. */
function createMainProcessor(
  config: TelltaleConfig,
  exporter: SpanExporter,
  meterProvider: MeterProvider | undefined,
  warn: WarningWrite,
): { processor: SpanProcessor; sampler: TailSamplingSpanProcessor | undefined } {
  if (config.sampling !== "in-process") return { processor: new BatchSpanProcessor({ exporter }), sampler: undefined };
  const sampler = createTailSampler(config, exporter, meterProvider, warn);
  return { processor: sampler, sampler };
}

function buildInstrumentations(
  config: TelltaleConfig,
  extra: Instrumentation[] | undefined,
  meterProvider: MeterProvider | undefined,
): Instrumentation[] {
  const instrumentations: Instrumentation[] = [
    new OpenAIInstrumentation({ captureMessageContent: config.captureContent }),
    new AnthropicInstrumentation({ captureMessageContent: config.captureContent }),
    new McpInstrumentation({ captureMessageContent: config.captureContent }),
    // They act only if @langchain/core / @openai/agents-core load: the handler and the processor join each run.
    new LangChainInstrumentation(),
    new OpenAIAgentsInstrumentation(),
    ...(extra ?? []),
  ];
  if (meterProvider !== undefined) for (const instrumentation of instrumentations) instrumentation.setMeterProvider(meterProvider);
  return instrumentations;
}

/** Unregisters what the NodeSDK and `start()` registered, so the SDK is really off and a later `start()` registers
 * fresh globals instead of hitting "duplicate registration". */
function releaseGlobals(config: TelltaleConfig, instrumentations: Instrumentation[], meterProvider: MeterProvider | undefined): void {
  for (const instrumentation of instrumentations) instrumentation.disable();
  trace.disable();
  context.disable();
  propagation.disable();
  logs.disable();
  if (meterProvider !== undefined) metrics.disable();
  // The NodeSDK installs a console diag logger when OTEL_LOG_LEVEL is set; a logger the app set itself stays.
  if (config.logLevel !== undefined) diag.disable();
}

interface Running {
  config: TelltaleConfig;
  nodeSdk: NodeSDK;
  meterProvider: MeterProvider & { forceFlush(): Promise<void>; shutdown(): Promise<void> } | undefined;
  spanProcessors: SpanProcessor[];
  traces: TraceExport;
  transports: OtlpHttpTransport[];
  sampler: TailSamplingSpanProcessor | undefined;
  warn: WarningWrite;
  consoleWrite: (text: string) => void;
  release: () => void;
}

/**
 * Shuts the SDK and the meter provider down within the timeout. When time runs short, the OTLP transports are
 * aborted (exports in flight fail at once, backoff timers are cleared, sockets closed) and the rest of the timeout
 * lets the processors count what that left undelivered.
 */
async function shutdownWithin(running: Running): Promise<void> {
  const timeoutMs = running.config.shutdownTimeoutMs;
  const work = Promise.all([running.nodeSdk.shutdown(), running.meterProvider?.shutdown()]).catch((error: unknown) =>
    NODE_DIAG.error("shutdown failed", error),
  );
  const graceMs = abortGraceMs(timeoutMs);
  if (await settlesWithin(work, timeoutMs - graceMs)) return;
  for (const transport of running.transports) transport.abort(`shutdown timed out after ${timeoutMs} ms`);
  await settlesWithin(work, graceMs);
  NODE_DIAG.warn(`shutdown did not finish within ${timeoutMs} ms; giving up`);
  running.warn(
    `telltale: shutdown gave up after ${timeoutMs} ms (TELLTALE_SHUTDOWN_TIMEOUT_MS) waiting for ` +
      `${running.traces.destinations.join(", ")}; what was not delivered is counted as lost\n`,
  );
}

function createHandle(running: Running): TelltaleSdk {
  let shutdownPromise: Promise<void> | undefined;
  let removeProcessHooks = (): void => {};
  const { config, sampler } = running;
  const sdk: TelltaleSdk = {
    config,
    enabled: true,
    destinations: running.traces.destinations,
    sampler,
    keptTraces: () => running.traces.recorder?.summaries() ?? [],
    forceFlush: async () => {
      const work = Promise.all([
        ...running.spanProcessors.map((processor) => processor.forceFlush()),
        running.meterProvider?.forceFlush(),
      ]).catch((error: unknown) => NODE_DIAG.error("flush failed", error));
      if (!(await settlesWithin(work, config.shutdownTimeoutMs))) {
        NODE_DIAG.warn(`flush did not finish within ${config.shutdownTimeoutMs} ms; giving up`);
      }
    },
    shutdown: () => {
      shutdownPromise ??= (async () => {
        removeProcessHooks();
        await shutdownWithin(running);
        if (running.traces.consoleSummary !== undefined && sampler !== undefined) {
          const stats = sampler.stats();
          running.consoleWrite(`telltale: ${stats.tracesKept} traces kept, ${stats.tracesDropped} dropped\n`);
        }
        running.release();
        if (currentSdk() === sdk) setCurrentSdk(undefined);
      })();
      return shutdownPromise;
    },
  };
  if (config.handleSignals) removeProcessHooks = installProcessHooks(() => sdk.shutdown());
  return sdk;
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
    if (Object.keys(options).length > 0) NODE_DIAG.warn("already started; the options of this start() are ignored");
    return running;
  }
  const config = readConfig(options);
  if (config.disabled) return disabledSdk(config);

  const releaseProcessSettings = claimProcessSettings(config);
  const warn = options.warningWrite ?? writeToStderr;
  const resource = buildResource(config, options.resourceAttributes);
  // Metrics first: the sampler takes its meter from the provider when it is constructed.
  const { meterProvider, transports: metricTransports } = buildMetrics(config, resource, options.metricReaders, warn);
  if (meterProvider !== undefined) metrics.setGlobalMeterProvider(meterProvider);
  const traces = buildTraceExport(config, { traceExporter: options.traceExporter, consoleWrite: options.consoleWrite, warn });
  const main = createMainProcessor(config, traces.exporter, meterProvider, warn);
  const spanProcessors = [new StatusMessageLimit(config.attributeValueLengthLimit), ...(options.spanProcessors ?? []), main.processor];
  const instrumentations = buildInstrumentations(config, options.instrumentations, meterProvider);

  const nodeSdk = new NodeSDK({
    resource,
    autoDetectResources: false,
    spanProcessors,
    spanLimits: { attributeValueLengthLimit: config.attributeValueLengthLimit },
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations,
  });
  nodeSdk.start();
  // The Vercel AI SDK calls HTTP with fetch: on ai 7 its telemetry integration is the app-wide hook.
  registerGlobalTelemetry();

  const sdk = createHandle({
    config,
    nodeSdk,
    meterProvider,
    spanProcessors,
    traces,
    transports: [...traces.transports, ...metricTransports],
    sampler: main.sampler,
    warn,
    consoleWrite: options.consoleWrite ?? writeToStderr,
    release: () => {
      releaseGlobals(config, instrumentations, meterProvider);
      releaseProcessSettings();
    },
  });
  setCurrentSdk(sdk);
  NODE_DIAG.debug(`started (sampling ${config.sampling}; spans to ${traces.destinations.join(", ")})`);
  return sdk;
}

/** Shuts the running SDK down (see {@link TelltaleSdk.shutdown}); resolves at once if none is running. */
export function shutdown(): Promise<void> {
  return currentSdk()?.shutdown() ?? Promise.resolve();
}

/** The SDK `start()` returned, if it is running. */
export function getSdk(): TelltaleSdk | undefined {
  return currentSdk();
}
