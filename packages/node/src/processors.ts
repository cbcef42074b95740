/**
 * The span processors `start()` installs, in order: a guard that cuts over-long error status messages, the app's
 * own extra processors (they see every span), then the tail sampler (`in-process`) or a BatchSpanProcessor.
 */
import { SpanStatusCode, type MeterProvider } from "@opentelemetry/api";
import { BatchSpanProcessor, type Span, type SpanExporter, type SpanProcessor } from "@opentelemetry/sdk-trace";
import { TailSamplingSpanProcessor } from "@telltale/sampler";
import type { TelltaleConfig } from "./config.js";

/**
 * The SDK's attribute length limit cuts attribute values and event attributes, but not the status message, which
 * an error's message fills: a 10 MB exception message would still make a 10 MB span. This applies the same limit to
 * it while the span is still open (`onEnding`).
 */
export class StatusMessageLimit implements SpanProcessor {
  constructor(private readonly limit: number) {}

  onStart(): void {}

  onEnding(span: Span): void {
    const message = span.status.message;
    if (span.status.code === SpanStatusCode.ERROR && message !== undefined && message.length > this.limit) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, this.limit) });
    }
  }

  onEnd(): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The in-process tail sampler, built in one place so its options stay together. */
export function createTailSampler(
  config: TelltaleConfig,
  exporter: SpanExporter,
  meterProvider: MeterProvider | undefined,
): TailSamplingSpanProcessor {
  return new TailSamplingSpanProcessor({
    exporter,
    policy: config.policy,
    ...(meterProvider !== undefined && { meterProvider }),
  });
}

export interface MainProcessor {
  processor: SpanProcessor;
  sampler: TailSamplingSpanProcessor | undefined;
}

/** `in-process`: the tail sampler; `collector` / `off`: every span, batched. */
export function createMainProcessor(
  config: TelltaleConfig,
  exporter: SpanExporter,
  meterProvider: MeterProvider | undefined,
): MainProcessor {
  if (config.sampling !== "in-process") return { processor: new BatchSpanProcessor({ exporter }), sampler: undefined };
  const sampler = createTailSampler(config, exporter, meterProvider);
  return { processor: sampler, sampler };
}
