/**
 * A model call as a framework sees it (a LangChain chat model run, an Agents SDK response span), as one LLM call
 * span. The SDK calls the framework makes during it (through the instrumented `openai` / `@anthropic-ai/sdk`
 * clients) report to that span instead of starting their own: a framework that retries by calling the SDK again
 * (LangChain's `AsyncCaller`) shows its retries as attempts of the one call, with their status, error class and
 * the wait between them (F1–F3), and usage is counted once.
 */
import type { Context, Span } from "@opentelemetry/api";
import type { SoftErrorKind } from "./attributes.js";
import type { JoinableModelCall } from "./call-sites.js";
import {
  creationAttributes,
  openLlmCall,
  readLlmCallOptions,
  writeRequestAttributes,
  type LlmAttempt,
  type LlmCall,
  type LlmCallOptions,
  type LlmResponseInfo,
  type LlmUsage,
} from "./llm.js";
import { tracer } from "./run.js";
import { safely } from "./safe.js";

/** Options of {@link startModelCall}: an LLM call's description, and the framework run it starts under. */
export interface ModelCallOptions extends Omit<LlmCallOptions, "parentContext"> {
  /** The context of the framework run the model call belongs to (a node's, an agent's). */
  parentContext: Context;
}

/** A framework's model call under way (see {@link startModelCall}). Every method is safe in any order. */
export interface ModelCall extends JoinableModelCall {
  readonly span: Span;
  /** `parentContext` with the call's span set. */
  readonly context: Context;
  /** Whether an instrumented SDK call reported to this call (it then recorded the response and usage itself). */
  readonly joined: boolean;
  /** What the framework saw of the response; ignored once an SDK call joined (it knows better). */
  recordResponse(response: LlmResponseInfo): void;
  /** The framework's usage report; ignored once an SDK call joined, so usage is counted once. */
  recordUsage(usage: LlmUsage): void;
  softError(kind: SoftErrorKind, detail?: string): void;
  /** The framework's model call ended (with its final error, if it failed: when its last SDK call failed, that
   * call's own error is recorded instead, which says more than the framework's wrapper). Idempotent. */
  end(error?: unknown): void;
}

/** Ends an open SDK call's share of a model call, with the time it ended. */
type SdkCallEnd = (sdkCall: JoinedSdkCall, error: unknown, endTime: number | undefined) => void;

/** One SDK call reporting to a framework's model call: its first attempt waited since the previous call ended. */
class JoinedSdkCall implements LlmCall {
  readonly span: Span;
  readonly context: Context;
  private firstAttempt = true;
  private ended = false;

  constructor(
    private readonly onEnd: SdkCallEnd,
    private readonly call: LlmCall,
    private readonly waitMs: number,
  ) {
    this.span = call.span;
    this.context = call.context;
  }

  recordAttempt(attempt: LlmAttempt): void {
    const first = this.firstAttempt;
    this.firstAttempt = false;
    this.call.recordAttempt(first && this.waitMs > 0 ? { ...attempt, waitMs: attempt.waitMs + this.waitMs } : attempt);
  }

  recordResponse(response: LlmResponseInfo): void {
    this.call.recordResponse(response);
  }

  recordUsage(usage: LlmUsage): void {
    this.call.recordUsage(usage);
  }

  softError(kind: SoftErrorKind, detail?: string): void {
    this.call.softError(kind, detail);
  }

  end(error?: unknown, endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(this, error, endTime);
  }
}

class FrameworkModelCall implements ModelCall {
  readonly span: Span;
  readonly context: Context;
  joined = false;
  private readonly call: LlmCall;
  private readonly hasModel: boolean;
  private open: JoinedSdkCall | undefined;
  private lastSdkCallEndedAt: number | undefined;
  /** The provider's error when the last SDK call failed: more precise than what the framework wraps it in. */
  private lastSdkError: unknown;
  private pendingEnd: { error: unknown } | undefined;
  private ended = false;

  constructor(options: Partial<ModelCallOptions>) {
    this.call = openLlmCall(tracer(), options);
    this.span = this.call.span;
    this.context = this.call.context;
    this.hasModel = options.requestModel !== undefined;
  }

  join(options: Partial<LlmCallOptions>): LlmCall | undefined {
    // Two SDK calls at once are not attempts of each other: the second one gets its own span.
    if (this.ended || this.open !== undefined) return undefined;
    if (!this.joined) safely("adopting an SDK request", () => this.adoptRequest(options));
    this.joined = true;
    const waitMs = this.lastSdkCallEndedAt === undefined ? 0 : Math.max(0, performance.now() - this.lastSdkCallEndedAt);
    this.open = new JoinedSdkCall((sdkCall, error, endTime) => this.sdkCallEnded(sdkCall, error, endTime), this.call, waitMs);
    return this.open;
  }

  /** The SDK call knows the request better than the framework: its description goes on the span (the operation and
   * the framework's model name stay, and the span's name with them). */
  private adoptRequest(options: Partial<LlmCallOptions>): void {
    const span = this.call.span;
    const requestModel = this.hasModel ? undefined : options.requestModel;
    span.setAttributes(creationAttributes({ ...options, operation: undefined, requestModel }));
    writeRequestAttributes(span, options);
    if (requestModel !== undefined && options.operation !== undefined) span.updateName(`${options.operation} ${requestModel}`);
  }

  private sdkCallEnded(sdkCall: JoinedSdkCall, error: unknown, endTime: number | undefined): void {
    if (this.open === sdkCall) this.open = undefined;
    this.lastSdkCallEndedAt = endTime ?? performance.now();
    this.lastSdkError = error;
    if (this.pendingEnd !== undefined) this.finish(this.pendingEnd.error, endTime);
  }

  recordResponse(response: LlmResponseInfo): void {
    if (!this.joined) this.call.recordResponse(response);
  }

  recordUsage(usage: LlmUsage): void {
    if (!this.joined) this.call.recordUsage(usage);
  }

  softError(kind: SoftErrorKind, detail?: string): void {
    this.call.softError(kind, detail);
  }

  end(error?: unknown): void {
    if (this.ended || this.pendingEnd !== undefined) return;
    // A stream the framework stopped waiting for is still being read: the span ends with it.
    if (this.open !== undefined) this.pendingEnd = { error };
    else this.finish(error);
  }

  private finish(error: unknown, endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    this.pendingEnd = undefined;
    // A framework that failed because its last SDK call failed reports a wrapper (or a redacted copy) of that error.
    this.call.end(error !== undefined && this.lastSdkError !== undefined ? this.lastSdkError : error, endTime);
  }
}

/**
 * Starts a framework's model call: an LLM call span (`{operation} {model}`) under the framework run, which the SDK
 * calls made during it join when a resolver registered with `registerLlmCallSiteResolver` returns it. The framework
 * ends it when its model call ends. Never throws.
 */
export function startModelCall(options: ModelCallOptions): ModelCall {
  return new FrameworkModelCall(readLlmCallOptions("startModelCall", options));
}
