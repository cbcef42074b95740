// Registers the OpenTelemetry ESM loader hook before `openai` is imported (dynamically, by demo.ts), so that
// @telltale/node's OpenAI instrumentation patches the ES module build, exactly as in a user's app.
import "@telltale/node/loader-hook";
import { OTLPTraceExporter as OTLPTraceExporterJson } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as OTLPTraceExporterProto } from "@opentelemetry/exporter-trace-otlp-proto";
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace";
import { readConfig, start, type Env, type KeptTraceSummary, type TelltaleSdk } from "@telltale/node";
import { EndOrder } from "./report.js";
type TailSamplingStats = ReturnType<NonNullable<TelltaleSdk["sampler"]>["stats"]>;

type ExportResult = Parameters<Parameters<SpanExporter["export"]>[1]>[0];

/**
 * Remembers every kept span (the sampler only exports kept traces) and forwards them to OTLP when an endpoint is
 * configured, so the demo can draw the kept traces exactly as the backend receives them. (`keptTraces()` of
 * @telltale/node summarizes kept traces but does not hold their spans, which the trees and findings need.)
 */
export class KeptSpanRecorder implements SpanExporter {
  readonly traces = new Map<string, ReadableSpan[]>();

  constructor(private readonly forwardTo: SpanExporter | undefined) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    for (const span of spans) {
      const traceId = span.spanContext().traceId;
      const list = this.traces.get(traceId);
      if (list === undefined) this.traces.set(traceId, [span]);
      else list.push(span);
    }
    if (this.forwardTo === undefined) resultCallback({ code: 0 });
    else this.forwardTo.export(spans, resultCallback);
  }

  async forceFlush(): Promise<void> {
    await this.forwardTo?.forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await this.forwardTo?.shutdown();
  }
}

export interface DemoTelemetry {
  readonly recorder: KeptSpanRecorder;
  /** The order spans ended in (the recorder holds them in the order they were exported). */
  readonly endOrder: EndOrder;
  /** Where kept traces went, in words. */
  readonly exportedTo: string;
  /** Kept/dropped traces, per reason, from @telltale/node's in-process sampler. */
  stats(): TailSamplingStats;
  /** The kept traces (id, root, keep reasons), from @telltale/node. */
  keptTraces(): KeptTraceSummary[];
  /** Decides every pending trace and exports what is kept. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface DemoTelemetryOptions {
  /** Default `telltale-demo` (the agent); the MCP server child process names itself. */
  serviceName?: string;
  slowThresholdMs: number;
  baselinePercentage: number;
  env?: Env;
}

type UpstreamOptions = NonNullable<ConstructorParameters<typeof OTLPTraceExporterProto>[0]>;

/** The upstream exporter's settings, as `start()` resolves them for its own exporter: URL, headers, compression. */
function upstreamOptions(url: string, config: ReturnType<typeof readConfig>): UpstreamOptions {
  return { url, headers: { ...config.tracesHeaders }, compression: config.tracesCompression as UpstreamOptions["compression"] };
}

/**
 * `start()` from @telltale/node: the Node SDK (context manager, tracer provider), the OpenAI instrumentation and the
 * in-process tail sampler. The demo passes its own trace exporter (the recorder), which replaces the OTLP exporter
 * start() would build from OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT; so the recorder forwards to OTLP itself, to the
 * endpoint, headers, protocol and compression start() resolves (readConfig), and kept traces are exported once.
 */
export function startTelemetry(options: DemoTelemetryOptions): DemoTelemetry {
  const env = options.env ?? process.env;
  const telltaleOptions = {
    serviceName: options.serviceName ?? "telltale-demo",
    sampling: "in-process" as const,
    policy: {
      rules: { slow: { thresholdMs: options.slowThresholdMs } },
      baseline: { percentage: options.baselinePercentage },
    },
    handleSignals: false,
    consoleSummary: false,
    env,
  };
  const config = readConfig(telltaleOptions);
  const endpoint = config.tracesEndpoint;
  const otlp =
    endpoint === undefined
      ? undefined
      : config.tracesProtocol === "http/json"
        ? new OTLPTraceExporterJson(upstreamOptions(endpoint, config))
        : new OTLPTraceExporterProto(upstreamOptions(endpoint, config));
  const recorder = new KeptSpanRecorder(otlp);
  const endOrder = new EndOrder();
  const telltale: TelltaleSdk = start({ ...telltaleOptions, traceExporter: recorder, spanProcessors: [endOrder] });
  const sampler = telltale.sampler;
  if (!telltale.enabled || sampler === undefined) {
    throw new Error("the demo needs Telltale's in-process sampler: unset OTEL_SDK_DISABLED");
  }
  return {
    recorder,
    endOrder,
    exportedTo:
      endpoint === undefined
        ? "nowhere: set OTEL_EXPORTER_OTLP_ENDPOINT to export"
        : `OTLP ${endpoint} (${config.tracesProtocol})`,
    stats: () => sampler.stats(),
    keptTraces: () => telltale.keptTraces(),
    flush: () => sampler.forceFlush(),
    shutdown: () => telltale.shutdown(),
  };
}
