import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { TracerProvider, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace";
import { OpenAIInstrumentation } from "@telltale/instrumentation-openai";
import { TailSamplingSpanProcessor, parsePolicy, type TailSamplingStats } from "@telltale/sampler";

type ExportResult = Parameters<Parameters<SpanExporter["export"]>[1]>[0];

/**
 * Remembers every kept span (the sampler only exports kept traces) and forwards them to OTLP when an endpoint is
 * configured, so the demo can draw the kept traces exactly as the backend receives them.
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
  /** Where kept traces went, in words. */
  readonly exportedTo: string;
  /** The instrumentation to patch `openai` with (the demo imports the SDK itself). */
  readonly openai: OpenAIInstrumentation;
  stats(): TailSamplingStats;
  /** Decides every pending trace and exports what is kept. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface DemoTelemetryOptions {
  slowThresholdMs: number;
  baselinePercentage: number;
}

/** The OTLP endpoint from the standard variables, if any. */
export function otlpEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return base ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined;
}

/** Tracer provider, AsyncLocalStorage context, the in-process tail sampler and the OpenAI instrumentation. */
export function startTelemetry(options: DemoTelemetryOptions): DemoTelemetry {
  const endpoint = otlpEndpoint();
  const recorder = new KeptSpanRecorder(endpoint === undefined ? undefined : new OTLPTraceExporter());
  const sampler = new TailSamplingSpanProcessor({
    exporter: recorder,
    policy: parsePolicy({
      rules: { slow: { thresholdMs: options.slowThresholdMs } },
      baseline: { percentage: options.baselinePercentage },
    }),
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const provider = new TracerProvider({ spanProcessors: [sampler] });
  trace.setGlobalTracerProvider(provider);
  const openai = new OpenAIInstrumentation();
  return {
    recorder,
    openai,
    exportedTo: endpoint === undefined ? "nowhere: set OTEL_EXPORTER_OTLP_ENDPOINT to export" : `OTLP ${endpoint}`,
    stats: () => sampler.stats(),
    flush: () => sampler.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
