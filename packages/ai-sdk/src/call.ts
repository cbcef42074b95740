/**
 * One logical model call of the AI SDK (one `doGenerate` / `doStream` as the agent loop sees it), which the AI SDK's
 * retry loop may send several times: one LLM call span through core's `startLlmCall`, with every attempt recorded
 * on it (F1-F3), then the response, usage and soft errors (F4) or the stream's ending (F15).
 *
 * An attempt that fails with an error the AI SDK retries leaves the call open: the next attempt continues it. Where
 * no next attempt comes (the retries were used up), the call ends when whoever knows says so (`settle`: the run's
 * end, ai 7's error hooks), or else when the AI SDK's retry wait for that error has passed with a margin; either way
 * the span ends when the last attempt did, not when the call was found to be over.
 */
import { context, type Attributes, type Context, type Tracer } from "@opentelemetry/api";
import { budgetCheck, startLlmCall, type LlmCall } from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS,
  ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES,
} from "@telltale/core/attributes";
import { isAbort, isRetryableBySdk, predictedRetryDelayMs } from "./errors.js";
import { generateResultOf, type ModelResponse } from "./shapes.js";
import { responseSoftError } from "./soft-errors.js";
import { observeModelStream, type ModelStreamEnd } from "./stream.js";
import { AI_SDK_DIAG } from "./diag.js";

/** How long past the AI SDK's own retry wait a call whose last attempt failed stays open for a retry. */
export const RETRY_SETTLE_MARGIN_MS = 1000;
const SUCCESS_STATUS = 200;

/** What the call span starts with. */
export interface ModelCallStart {
  provider: string;
  requestModel: string | undefined;
  stream: boolean;
  attributes: Attributes;
  parentContext: Context;
  abortSignal: AbortSignal | undefined;
}

/** Whether the AI SDK will retry after an attempt failed: known (ai 7 tells its `maxRetries`) or not (undefined). */
export type RetryDecision = (error: unknown, attempts: number) => boolean | undefined;

export class ModelCall {
  readonly llm: LlmCall;
  private attempts = 0;
  private lastAttemptEndedAt = 0;
  private pendingError: unknown;
  /** When the failed attempt a retry may follow was recorded (a `performance.now()` reading). */
  private pendingSince = 0;
  private settleTimer: NodeJS.Timeout | undefined;
  private ended = false;
  /** How the call's stream ended, once it did. */
  streamEnd: ModelStreamEnd["kind"] | undefined;
  private readonly endListeners: Array<() => void> = [];

  constructor(
    tracer: Tracer,
    private readonly start: ModelCallStart,
  ) {
    this.llm = startLlmCall(tracer, {
      provider: start.provider,
      operation: "chat",
      ...(start.requestModel !== undefined ? { requestModel: start.requestModel } : {}),
      stream: start.stream,
      attributes: start.attributes,
      parentContext: start.parentContext,
    });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** `listener` runs once, when the call ends. */
  onEnd(listener: () => void): void {
    if (this.ended) listener();
    else this.endListeners.push(listener);
  }

  /** In enforce mode, the budget error that refuses this call before its first attempt (F9). */
  refusal(): Error | undefined {
    return this.attempts === 0 ? budgetCheck(this.start.parentContext) : undefined;
  }

  /** Runs one attempt in the call span's context and records it; the attempt's result or error passes through. */
  async attempt<R>(execute: () => PromiseLike<R>, willRetry: RetryDecision): Promise<R> {
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.pendingError = undefined;
    const startedAt = performance.now();
    const waitMs = this.attempts === 0 ? 0 : startedAt - this.lastAttemptEndedAt;
    this.attempts += 1;
    try {
      const result = await context.with(this.llm.context, execute);
      this.lastAttemptEndedAt = performance.now();
      this.llm.recordAttempt({ statusCode: SUCCESS_STATUS, waitMs, durationMs: this.lastAttemptEndedAt - startedAt });
      return result;
    } catch (error) {
      this.lastAttemptEndedAt = performance.now();
      try {
        this.failedAttempt(error, waitMs, startedAt, willRetry);
      } catch (failure) {
        AI_SDK_DIAG.error("recording a failed AI SDK attempt failed", failure);
        this.end();
      }
      throw error;
    }
  }

  private failedAttempt(error: unknown, waitMs: number, startedAt: number, willRetry: RetryDecision): void {
    // Core reads the status, the provider's error body and a RetryError's last error from the AI SDK's error itself.
    this.llm.recordAttempt({ error, waitMs, durationMs: this.lastAttemptEndedAt - startedAt });
    const aborted = isAbort(error, this.start.abortSignal);
    const retry = aborted ? false : (willRetry(error, this.attempts) ?? isRetryableBySdk(error));
    if (!retry) {
      this.end(error);
      return;
    }
    this.pendingError = error;
    this.pendingSince = performance.now();
    const waitForRetryMs = predictedRetryDelayMs(error, this.attempts) + RETRY_SETTLE_MARGIN_MS;
    this.settleTimer = setTimeout(() => this.settle(), waitForRetryMs);
    this.settleTimer.unref();
  }

  /** No further attempt will come: a call left open for a retry ends with its last attempt's error, at the time that
   * attempt was recorded. */
  settle(): void {
    if (this.ended || this.pendingError === undefined) return;
    this.end(this.pendingError, this.pendingSince);
  }

  /** A whole response arrived: response, usage, tool calls and soft errors, then the span ends. */
  completeWith(result: unknown): void {
    if (this.ended) return;
    try {
      const response = generateResultOf(result);
      this.record(response);
      const soft = responseSoftError(response, false);
      if (soft !== undefined) this.llm.softError(soft.kind, soft.detail);
    } catch (failure) {
      AI_SDK_DIAG.error("reading an AI SDK model response failed", failure);
    }
    this.end();
  }

  /** The stream the model answered with, observed until it ends however it ends; `stripRaw`: the raw chunks were
   * requested by Telltale (for usage so far), not by the app, and are not passed on. */
  observe(stream: ReadableStream<unknown>, stripRaw = false): ReadableStream<unknown> {
    try {
      return this.observeOrThrow(stream, stripRaw);
    } catch (failure) {
      AI_SDK_DIAG.error("observing an AI SDK model stream failed", failure);
      this.end();
      return stream;
    }
  }

  private observeOrThrow(stream: ReadableStream<unknown>, stripRaw: boolean): ReadableStream<unknown> {
    const startedAt = performance.now();
    let first = true;
    return observeModelStream(stream, this.start.abortSignal, {
      onFirstPart: () => {
        if (!first) return;
        first = false;
        this.llm.span.setAttribute(ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, (performance.now() - startedAt) / 1000);
      },
      onEnd: (end) => this.streamEnded(end),
    }, stripRaw);
  }

  private streamEnded(end: ModelStreamEnd): void {
    if (this.ended) return;
    this.streamEnd = end.kind;
    this.record(end.response);
    if (end.kind === "aborted") this.llm.softError("stream_aborted", "aborted");
    else if (end.kind === "stopped") this.llm.softError("stream_aborted", "consumer stopped early");
    else if (end.kind === "abandoned") this.llm.softError("stream_aborted", "abandoned");
    else if (end.kind === "completed") {
      if (end.errorPart !== undefined) this.llm.softError("error_payload", end.errorPart);
      const soft = responseSoftError(end.response, true);
      if (soft !== undefined) this.llm.softError(soft.kind, soft.detail);
    }
    this.end(end.kind === "error" ? end.error : undefined);
  }

  private record(response: ModelResponse): void {
    const finishReasons = response.finishReason === undefined ? [] : [response.finishReason.raw ?? response.finishReason.unified];
    this.llm.recordResponse({
      ...(response.responseModel !== undefined ? { responseModel: response.responseModel } : {}),
      ...(response.responseId !== undefined ? { responseId: response.responseId } : {}),
      finishReasons,
    });
    if (response.toolCalls.length > 0) {
      this.llm.span.setAttribute(ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES, response.toolCalls.map((call) => call.name));
      const ids = response.toolCalls.map((call) => call.id).filter((id): id is string => id !== undefined);
      if (ids.length === response.toolCalls.length) this.llm.span.setAttribute(ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS, ids);
    }
    if (response.usage !== undefined) this.llm.recordUsage(response.usage);
  }

  /** Ends the span (idempotent), now or at `endTime` (a `performance.now()` reading). */
  end(error?: unknown, endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (this.settleTimer !== undefined) clearTimeout(this.settleTimer);
    this.llm.end(error, endTime);
    for (const listener of this.endListeners.splice(0)) listener();
  }
}
