/**
 * Observes a model's stream of parts (`stream-start`, `response-metadata`, `text-delta`, `tool-call`, `finish`,
 * `error`, `raw` …) on its way to the AI SDK, and reports exactly once how it ended (F15): read to its end, aborted,
 * stopped by the consumer, failed, or dropped unread (garbage-collected). The parts pass through unchanged, one
 * read of the source per read of the consumer.
 */
import type { LlmUsage } from "@telltale/core/instrumentation";
import { fieldsOf, stringOf } from "@telltale/instrumentation-common";
import { isAbort } from "./errors.js";
import { finishReasonOf, rawUsageOf, readContentPart, readResponseMetadata, usageOf, type ModelResponse } from "./shapes.js";
import { AI_SDK_DIAG } from "./diag.js";

/** How a model stream ended, with what it said so far. */
export type ModelStreamEnd = { response: ModelResponse; errorPart?: string } & (
  | { kind: "completed" }
  | { kind: "aborted" }
  | { kind: "stopped" }
  | { kind: "error"; error: unknown }
  | { kind: "abandoned" }
);

export interface ModelStreamObserver {
  onFirstPart(): void;
  onEnd(end: ModelStreamEnd): void;
}

// Ends the call of a stream nobody reads any more and nobody holds (its span must not stay open). The held value
// never references the stream.
const abandonedStreams = new FinalizationRegistry<() => void>((finishAbandoned) => finishAbandoned());

const ERROR_DETAIL_MAX = 120;

class StreamWatch {
  readonly response: ModelResponse = { toolCalls: [], hasText: false };
  /** Usage from the provider's raw chunks, for a stream that ends before its finish part. */
  rawUsage: LlmUsage | undefined;
  errorPart: string | undefined;
  ended = false;
  readsInFlight = 0;
  stopping = false;

  constructor(
    private readonly observer: ModelStreamObserver,
    private readonly signal: AbortSignal | undefined,
  ) {}

  readonly onAbort = (): void => {
    if (!this.stopping && this.readsInFlight === 0) this.finish({ kind: "aborted" });
  };

  readonly onAbandoned = (): void => {
    this.finish({ kind: "abandoned" });
  };

  see(part: unknown): void {
    try {
      if (this.ended) return;
      const fields = fieldsOf(part);
      switch (stringOf(fields?.type)) {
        case "response-metadata":
          readResponseMetadata(this.response, fields);
          break;
        case "text-delta":
        case "text":
          if ((stringOf(fields?.delta) ?? stringOf(fields?.textDelta) ?? stringOf(fields?.text) ?? "").trim() !== "") this.response.hasText = true;
          break;
        case "tool-call":
          readContentPart(this.response, part);
          break;
        case "finish": {
          const reason = finishReasonOf(fields?.finishReason);
          if (reason !== undefined) this.response.finishReason = reason;
          const usage = usageOf(fields?.usage);
          if (usage !== undefined) this.response.usage = usage;
          break;
        }
        case "error":
          this.errorPart ??= errorDetail(fields?.error);
          break;
        case "raw":
          this.rawUsage = rawUsageOf(fields?.rawValue, this.rawUsage);
          break;
      }
    } catch (failure) {
      AI_SDK_DIAG.error("observing a model stream part failed", failure);
    }
  }

  finish(end: { kind: "completed" } | { kind: "aborted" } | { kind: "stopped" } | { kind: "error"; error: unknown } | { kind: "abandoned" }): void {
    if (this.ended) return;
    this.ended = true;
    abandonedStreams.unregister(this);
    this.signal?.removeEventListener("abort", this.onAbort);
    // The finish part's usage is the provider's last word; without it, what the raw chunks said so far.
    if (this.response.usage === undefined && this.rawUsage !== undefined) this.response.usage = this.rawUsage;
    try {
      this.observer.onEnd({ ...end, response: this.response, ...(this.errorPart !== undefined ? { errorPart: this.errorPart } : {}) });
    } catch (failure) {
      AI_SDK_DIAG.error("ending a model stream span failed", failure);
    }
  }

  endedBy(error: unknown): { kind: "aborted" } | { kind: "error"; error: unknown } {
    return isAbort(error, this.signal) ? { kind: "aborted" } : { kind: "error", error };
  }
}

function errorDetail(error: unknown): string {
  const fields = fieldsOf(error);
  const inner = fieldsOf(fields?.error);
  const ownType = stringOf(fields?.type);
  const text =
    stringOf(inner?.code) ??
    stringOf(inner?.type) ??
    stringOf(fields?.code) ??
    (ownType !== "error" ? ownType : undefined) ??
    stringOf(fields?.message) ??
    stringOf(inner?.message) ??
    (typeof error === "string" ? error : "error");
  return text.length > ERROR_DETAIL_MAX ? `${text.slice(0, ERROR_DETAIL_MAX)}…` : text;
}

function isRawPart(part: unknown): boolean {
  return fieldsOf(part)?.type === "raw";
}

/**
 * A stream that yields what `source` yields, observed by `observer`. With `stripRaw`, the provider's raw chunks
 * (requested by Telltale, not by the app) are read and not passed on.
 */
export function observeModelStream(
  source: ReadableStream<unknown>,
  signal: AbortSignal | undefined,
  observer: ModelStreamObserver,
  stripRaw = false,
): ReadableStream<unknown> {
  const watch = new StreamWatch(observer, signal);
  const reader = source.getReader();
  let first = true;
  signal?.addEventListener("abort", watch.onAbort, { once: true });
  const observed = new ReadableStream<unknown>(
    {
      async pull(controller) {
        // One part for the consumer per pull: raw parts the app did not ask for are read past.
        for (;;) {
          watch.readsInFlight += 1;
          let result: Awaited<ReturnType<typeof reader.read>>;
          try {
            result = await reader.read();
          } catch (error) {
            watch.readsInFlight -= 1;
            watch.finish(watch.endedBy(error));
            controller.error(error);
            return;
          }
          watch.readsInFlight -= 1;
          if (result.done) {
            watch.finish(signal?.aborted === true ? { kind: "aborted" } : { kind: "completed" });
            controller.close();
            return;
          }
          watch.see(result.value);
          if (stripRaw && isRawPart(result.value)) continue;
          if (first) {
            first = false;
            observer.onFirstPart();
          }
          controller.enqueue(result.value);
          return;
        }
      },
      async cancel(reason) {
        if (!watch.ended) watch.stopping = true;
        // The AI SDK cancels the model's stream when the call's signal aborts (ai 7): that is an abort.
        watch.finish(signal?.aborted === true ? { kind: "aborted" } : { kind: "stopped" });
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  abandonedStreams.register(observed, watch.onAbandoned, watch);
  return observed;
}
