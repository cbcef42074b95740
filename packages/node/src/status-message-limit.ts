/**
 * The first span processor `start()` installs (before the app's own and the sampler): a guard that cuts over-long
 * error status messages.
 */
import { SpanStatusCode } from "@opentelemetry/api";
import type { Span, SpanProcessor } from "@opentelemetry/sdk-trace";

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
