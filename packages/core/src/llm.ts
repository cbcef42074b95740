import { context, INVALID_SPAN_CONTEXT, INVALID_TRACEID, SpanKind, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TELLTALE_ATTEMPT_DURATION_MS,
  ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES,
  ATTR_TELLTALE_ATTEMPT_NUMBER,
  ATTR_TELLTALE_ATTEMPT_STATUS_CODES,
  ATTR_TELLTALE_ATTEMPT_WAIT_MS,
  ATTR_TELLTALE_ATTEMPT_WAITS_MS,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_RETRY_REASONS,
  ATTR_TELLTALE_RETRY_WAIT_MS,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_SOFT_ERROR_DETAIL,
  ATTR_TELLTALE_USAGE_COST_USD,
  EVENT_TELLTALE_ATTEMPT,
  type ErrorClass,
  type SoftErrorKind,
} from "./attributes.js";
import { contextWithSpan } from "./bound-context.js";
import { placeLlmCall } from "./call-sites.js";
import { addUsage, writeBudgetTotals } from "./budget.js";
import { markDeadlineAtEnd, markDeadlineAtStart } from "./deadline.js";
import { classifyError, isRecoverable } from "./errors.js";
import { markKeep, recordError } from "./keep.js";
import { metricsEnabled, record } from "./metrics.js";
import { currentPrice } from "./price-table.js";
import { costOf, type LlmUsage } from "./prices.js";
import { reportFailure } from "./safe.js";
import { workflowScopeOf } from "./state.js";

export type { LlmUsage } from "./prices.js";

/** How an instrumentation describes the LLM call it is about to make. */
export interface LlmCallOptions {
  /** `gen_ai.provider.name`, e.g. `openai`, `anthropic`. */
  provider: string;
  /** `gen_ai.operation.name`: `chat`, `embeddings`, … */
  operation: string;
  /** `gen_ai.request.model`; the span is named `${operation} ${requestModel}`. */
  requestModel?: string;
  serverAddress?: string;
  serverPort?: number;
  /** `gen_ai.request.stream`. */
  stream?: boolean;
  /** Extra request attributes (max tokens, temperature …), set right after the span starts: samplers see the
   * operation, provider, model and server, the attributes the GenAI conventions ask for at creation. */
  attributes?: Attributes;
  /** Defaults to `context.active()`. */
  parentContext?: Context;
  /** Span kind; defaults to CLIENT. */
  kind?: SpanKind;
}

/** One HTTP attempt inside an SDK call (F1). */
export interface LlmAttempt {
  /** HTTP status of the attempt's response; absent when none arrived. */
  statusCode?: number;
  /** The attempt's error, when it failed. */
  error?: unknown;
  /** Milliseconds waited before this attempt (0 for the first). */
  waitMs: number;
  /** How long the attempt itself took. */
  durationMs?: number;
}

/** What the provider answered. */
export interface LlmResponseInfo {
  responseModel?: string;
  responseId?: string;
  /** Written when not empty. */
  finishReasons?: string[];
}

/** An LLM call span under way; every method is safe to call in any order and never throws. */
export interface LlmCall {
  readonly span: Span;
  /** `parentContext` with `span` set: run the SDK call inside `context.with(call.context, …)`. */
  readonly context: Context;
  recordAttempt(attempt: LlmAttempt): void;
  recordResponse(response: LlmResponseInfo): void;
  /** `gen_ai.usage.*`, the cost from the price table, and the trace's running budget totals (F9). May be called
   * more than once (e.g. per stream chunk carrying usage): the last report wins, the trace totals count the
   * difference. */
  recordUsage(usage: LlmUsage): void;
  /** A failure that raised nothing (F4): `telltale.soft_error` (the first kind reported), keep, metric. */
  softError(kind: SoftErrorKind, detail?: string): void;
  /** Ends the span (idempotent): error, status, retries, metrics, budget and deadline marks. */
  end(error?: unknown): void;
}

interface AttemptRecord {
  statusCode: number;
  errorClass: ErrorClass | "ok";
  waitMs: number;
  durationMs: number | undefined;
}

/** Every call's attempt list until its first attempt: most calls record one, as `[entry]` (an array grown by a
 * first push would reserve 17 slots). */
const NO_ATTEMPTS: readonly AttemptRecord[] = Object.freeze([]);

function tokensOf(usage: LlmUsage): number {
  return (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}

class LlmCallSpan implements LlmCall {
  readonly span: Span;
  readonly context: Context;
  private readonly options: LlmCallOptions;
  private readonly startedAt = performance.now();
  private attempts: readonly AttemptRecord[] = NO_ATTEMPTS;
  private usage: LlmUsage | undefined;
  private countedTokens = 0;
  private countedCost = 0;
  private responseModel: string | undefined;
  private softErrorKind: SoftErrorKind | undefined;
  private ended = false;
  /**
   * The call is its own trace (no workflow, no parent span): the trace's running totals would repeat its own
   * `gen_ai.usage.*` and `telltale.usage.cost_usd`, with no budget to hold them against, so it writes none and
   * adds no entry to the process-wide per-trace map.
   */
  private readonly isTraceRoot: boolean;
  /** The first attempt's event while it is the only, successful one: the span's attempt attributes already say
   * everything it would, so it is written only once a second attempt (or an error) makes it informative. */
  private firstAttemptAt: number | undefined;

  constructor(tracer: Tracer, options: LlmCallOptions) {
    this.options = options;
    const parent = options.parentContext ?? context.active();
    // Only what the GenAI conventions call sampling-relevant goes in at creation: the SDK validates and copies
    // creation attributes twice, and a later setAttribute once.
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: options.operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: options.provider,
    };
    if (options.requestModel !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = options.requestModel;
    if (options.serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = options.serverAddress;
    if (options.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = options.serverPort;
    const name = options.requestModel ? `${options.operation} ${options.requestModel}` : options.operation;
    let span: Span;
    try {
      span = tracer.startSpan(name, { kind: options.kind ?? SpanKind.CLIENT, attributes }, parent);
    } catch (failure) {
      reportFailure("startLlmCall", failure);
      span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
    this.span = span;
    this.context = contextWithSpan(parent, span);
    try {
      if (options.attributes !== undefined) span.setAttributes(options.attributes);
      if (options.stream !== undefined) span.setAttribute(ATTR_GEN_AI_REQUEST_STREAM, options.stream);
    } catch (failure) {
      reportFailure("startLlmCall attributes", failure);
    }
    let isTraceRoot = false;
    try {
      if (workflowScopeOf(parent) === undefined) {
        const parentSpanContext = trace.getSpanContext(parent);
        const isRoot = parentSpanContext === undefined || !trace.isSpanContextValid(parentSpanContext);
        // Our own span's ids come from the tracer: valid, or the all-zero INVALID_SPAN_CONTEXT (no SDK, or the
        // fallback above), so comparing with that is enough and skips the id regexes of isSpanContextValid.
        isTraceRoot = isRoot && span.spanContext().traceId !== INVALID_TRACEID;
      } else {
        markDeadlineAtStart(span, parent);
      }
    } catch (failure) {
      reportFailure("startLlmCall deadline", failure);
    }
    this.isTraceRoot = isTraceRoot;
  }

  recordAttempt(attempt: LlmAttempt): void {
    try {
      if (this.ended) return;
      // An HTTP error status with no error object (the SDK is about to retry it) is still a failed attempt.
      const failure =
        attempt.error ?? (attempt.statusCode !== undefined && attempt.statusCode >= 400 ? { status: attempt.statusCode } : undefined);
      const classification = failure === undefined ? undefined : classifyError(failure);
      const errorClass = classification?.errorClass ?? "ok";
      const statusCode = attempt.statusCode ?? classification?.statusCode ?? 0;
      const waitMs = Math.max(0, Math.round(attempt.waitMs));
      const entry: AttemptRecord = {
        statusCode,
        errorClass,
        waitMs,
        durationMs: attempt.durationMs === undefined ? undefined : Math.round(attempt.durationMs),
      };
      this.attempts = this.attempts.length === 0 ? [entry] : [...this.attempts, entry];
      if (this.attempts.length === 1 && errorClass === "ok") {
        // performance.now() is what the SDK's span clock reads too, so the event keeps its own time when written later.
        this.firstAttemptAt = performance.now();
        return;
      }
      this.flushFirstAttemptEvent();
      this.addAttemptEvent(entry, this.attempts.length);
    } catch (failure) {
      reportFailure("LlmCall.recordAttempt", failure);
    }
  }

  private addAttemptEvent(entry: AttemptRecord, number: number, time?: number): void {
    const event: Attributes = {
      [ATTR_TELLTALE_ATTEMPT_NUMBER]: number,
      [ATTR_TELLTALE_ATTEMPT_WAIT_MS]: entry.waitMs,
      [ATTR_TELLTALE_ERROR_CLASS]: entry.errorClass,
    };
    if (entry.statusCode !== 0) event[ATTR_HTTP_RESPONSE_STATUS_CODE] = entry.statusCode;
    if (entry.durationMs !== undefined) event[ATTR_TELLTALE_ATTEMPT_DURATION_MS] = entry.durationMs;
    this.span.addEvent(EVENT_TELLTALE_ATTEMPT, event, time);
  }

  private flushFirstAttemptEvent(): void {
    const time = this.firstAttemptAt;
    const first = this.attempts[0];
    if (time === undefined || first === undefined) return;
    this.firstAttemptAt = undefined;
    this.addAttemptEvent(first, 1, time);
  }

  recordResponse(response: LlmResponseInfo): void {
    try {
      if (response.responseModel !== undefined) {
        this.responseModel = response.responseModel;
        this.span.setAttribute(ATTR_GEN_AI_RESPONSE_MODEL, response.responseModel);
      }
      if (response.responseId !== undefined) this.span.setAttribute(ATTR_GEN_AI_RESPONSE_ID, response.responseId);
      // An empty list says nothing a reader could use (no choice came back): left out, like an absent one.
      if (response.finishReasons !== undefined && response.finishReasons.length > 0) {
        this.span.setAttribute(ATTR_GEN_AI_RESPONSE_FINISH_REASONS, response.finishReasons);
      }
    } catch (failure) {
      reportFailure("LlmCall.recordResponse", failure);
    }
  }

  recordUsage(usage: LlmUsage): void {
    try {
      if (this.ended) return;
      this.usage = usage;
      const span = this.span;
      if (usage.inputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_INPUT_TOKENS, usage.inputTokens);
      if (usage.outputTokens !== undefined) span.setAttribute(ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, usage.outputTokens);
      if (usage.cacheReadInputTokens !== undefined) {
        span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, usage.cacheReadInputTokens);
      }
      if (usage.cacheCreationInputTokens !== undefined) {
        span.setAttribute(ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, usage.cacheCreationInputTokens);
      }
      if (usage.reasoningOutputTokens !== undefined) {
        span.setAttribute(ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, usage.reasoningOutputTokens);
      }
      const model = this.responseModel ?? this.options.requestModel;
      const price = currentPrice(this.options.provider, model);
      const cost = price === undefined ? 0 : costOf(price, usage);
      if (price !== undefined) span.setAttribute(ATTR_TELLTALE_USAGE_COST_USD, cost);
      if (this.isTraceRoot) return;
      const tokens = tokensOf(usage);
      // Usage may be reported again (a stream's final chunk after a partial one): count only the difference.
      addUsage(this.context, span, tokens - this.countedTokens, cost - this.countedCost);
      this.countedTokens = tokens;
      this.countedCost = cost;
    } catch (failure) {
      reportFailure("LlmCall.recordUsage", failure);
    }
  }

  softError(kind: SoftErrorKind, detail?: string): void {
    try {
      if (this.ended || this.softErrorKind !== undefined) return;
      this.softErrorKind = kind;
      this.span.setAttribute(ATTR_TELLTALE_SOFT_ERROR, kind);
      if (detail !== undefined) this.span.setAttribute(ATTR_TELLTALE_SOFT_ERROR_DETAIL, detail);
      markKeep(this.span, "soft_error");
      record("softErrors", 1, { [ATTR_TELLTALE_SOFT_ERROR]: kind, [ATTR_GEN_AI_OPERATION_NAME]: this.options.operation });
    } catch (failure) {
      reportFailure("LlmCall.softError", failure);
    }
  }

  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    try {
      const span = this.span;
      // A failed call is worth its attempt event even when the attempt itself succeeded (e.g. parsing failed).
      if (error !== undefined || this.softErrorKind !== undefined) this.flushFirstAttemptEvent();
      let errorType: string | undefined;
      if (error !== undefined) {
        const classification = recordError(span, error);
        errorType = classification.errorType;
        if (classification.statusCode === undefined) {
          const lastStatus = this.attempts[this.attempts.length - 1]?.statusCode;
          if (lastStatus !== undefined && lastStatus !== 0) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, lastStatus);
        }
      }
      this.writeAttempts();
      // A root call has no running totals of its own trace to write, and no workflow deadline to mark.
      if (!this.isTraceRoot) {
        writeBudgetTotals(span, this.context);
        markDeadlineAtEnd(span, this.context);
      }
      this.recordMetrics(errorType);
      span.end();
    } catch (failure) {
      reportFailure("LlmCall.end", failure);
    }
  }

  private writeAttempts(): void {
    const attempts = this.attempts;
    const last = attempts[attempts.length - 1];
    if (last === undefined) return;
    const span = this.span;
    const retries = attempts.length - 1;
    // The common case, one attempt that succeeded, has nothing to show: a retry count of 0 and one-element attempt
    // arrays would only say "no retry, 2xx", and every attribute costs every call time (bench/NOTES.md). Like
    // `http.request.resend_count`, the attempt attributes appear when there was a retry or a failure (whose status
    // `end` writes with its error).
    if (retries === 0 && last.errorClass === "ok") return;
    span.setAttribute(ATTR_TELLTALE_ATTEMPT_STATUS_CODES, attempts.map((a) => a.statusCode));
    span.setAttribute(ATTR_TELLTALE_RETRY_COUNT, retries);
    span.setAttribute(ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES, attempts.map((a) => a.errorClass));
    span.setAttribute(ATTR_TELLTALE_ATTEMPT_WAITS_MS, attempts.map((a) => a.waitMs));
    span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, retries);
    if (retries === 0) return;
    // Every attempt but the last was followed by a retry: its error class is the reason for that retry.
    const reasons = attempts.slice(0, -1).map((a) => a.errorClass);
    span.setAttribute(ATTR_TELLTALE_RETRY_REASONS, reasons);
    span.setAttribute(ATTR_TELLTALE_RETRY_WAIT_MS, attempts.reduce((sum, a) => sum + a.waitMs, 0));
    markKeep(span, "retried");
    if (reasons.some((reason) => reason !== "ok" && !isRecoverable(reason))) {
      span.setAttribute(ATTR_TELLTALE_RETRY_NON_RECOVERABLE, true);
      markKeep(span, "non_recoverable_retry");
    }
    for (const reason of reasons) {
      record("retries", 1, { [ATTR_GEN_AI_OPERATION_NAME]: this.options.operation, [ATTR_TELLTALE_ERROR_CLASS]: reason });
    }
  }

  private recordMetrics(errorType: string | undefined): void {
    if (!metricsEnabled()) return;
    const attributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: this.options.operation,
      [ATTR_GEN_AI_PROVIDER_NAME]: this.options.provider,
    };
    if (this.options.requestModel !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = this.options.requestModel;
    if (this.responseModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = this.responseModel;
    if (this.options.serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = this.options.serverAddress;
    if (this.options.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = this.options.serverPort;
    const tokenAttributes = { ...attributes };
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    record("operationDuration", (performance.now() - this.startedAt) / 1000, attributes);
    if (this.usage?.inputTokens !== undefined) {
      record("tokenUsage", this.usage.inputTokens, { ...tokenAttributes, [ATTR_GEN_AI_TOKEN_TYPE]: "input" });
    }
    if (this.usage?.outputTokens !== undefined) {
      record("tokenUsage", this.usage.outputTokens, { ...tokenAttributes, [ATTR_GEN_AI_TOKEN_TYPE]: "output" });
    }
  }
}

/**
 * Starts an LLM call span (`{operation} {model}`, kind CLIENT) under `options.parentContext` or the active context,
 * with the deadline time left recorded. The instrumentation reports attempts, the response, usage and soft errors,
 * then calls `end`. Without `parentContext`, a registered framework integration may place the call under its own
 * run, or return the framework's model call for the SDK call to report to. Never throws.
 */
export function startLlmCall(tracer: Tracer, options: LlmCallOptions): LlmCall {
  // A framework integration may know better than the active context where the call belongs (call-sites.ts).
  const placed = options.parentContext === undefined ? placeLlmCall(options) : undefined;
  if (placed === undefined) return new LlmCallSpan(tracer, options);
  return "call" in placed ? placed.call : new LlmCallSpan(tracer, { ...options, parentContext: placed.parent });
}
