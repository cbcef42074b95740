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
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TELLTALE_USAGE_COST_USD,
  SOFT_ERROR_KINDS,
  type SoftErrorKind,
} from "./attributes.js";
import { addAttempt, flushFirstAttempt, lastStatusCode, NO_ATTEMPTS, writeAttempts, type AttemptEntry, type AttemptHost, type AttemptMetric } from "./attempts.js";
import { contextWithSpan } from "./bound-context.js";
import { addUsage, writeBudgetTotals } from "./budget.js";
import { placeLlmCall } from "./call-sites.js";
import { markDeadlineAtEnd, markDeadlineAtStart } from "./deadline.js";
import { classifyError } from "./errors.js";
import { recordError } from "./keep.js";
import { instruments, type LlmMetrics } from "./metrics.js";
import { isValid, rules, type Rule, defineSchema } from "./options.js";
import { currentPrice } from "./price-table.js";
import { costOf, type LlmUsage } from "./prices.js";
import { tracer as coreTracer } from "./run.js";
import { reportFailure } from "./safe.js";
import { markSoftError } from "./soft-errors.js";
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
  /** A streaming request: `gen_ai.request.stream=true`. The conventions set the attribute for streaming requests only,
   * so `false` writes nothing. */
  stream?: boolean;
  /** Extra request attributes (max tokens, temperature …), set right after the span starts: samplers see the
   * operation, provider, model and server, the attributes the GenAI conventions ask for at creation. */
  attributes?: Attributes;
  /** Defaults to `context.active()`. */
  parentContext?: Context;
  /** Span kind; defaults to CLIENT. */
  kind?: SpanKind;
  /** The instruments the call records its metrics to: {@link createLlmMetrics} of the instrumentation's meter.
   * Defaults to core's own instruments on the global meter provider. */
  metrics?: LlmMetrics;
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
   * difference. A count that is not a finite number >= 0 is reported and ignored. */
  recordUsage(usage: LlmUsage): void;
  /** A failure that raised nothing (F4): `telltale.soft_error` (the first kind reported), keep, metric. */
  softError(kind: SoftErrorKind, detail?: string): void;
  /**
   * Ends the span (idempotent): error, status, retries, metrics, budget and deadline marks. `endTime`, a
   * `performance.now()` reading, is when the call really ended, for a caller that learns it later (an SDK call whose
   * last attempt failed, known to be the last only once no retry came); default: now.
   */
  end(error?: unknown, endTime?: number): void;
}

// What each input of the LLM call contract accepts (options.ts reports and drops what breaks it).
const LLM_CALL_SCHEMA = defineSchema<LlmCallOptions>({
  provider: rules.required(rules.name),
  operation: rules.required(rules.name),
  requestModel: rules.string,
  serverAddress: rules.string,
  serverPort: rules.port,
  stream: rules.boolean,
  attributes: rules.attributes,
  parentContext: rules.context,
  kind: rules.spanKind,
  metrics: {
    accepts: "the instruments createLlmMetrics() returns",
    test: (value) => typeof (value as Partial<LlmMetrics> | undefined)?.operationDuration?.record === "function",
  },
});
const ATTEMPT_SCHEMA = defineSchema<LlmAttempt>({ statusCode: rules.statusCode, error: rules.any, waitMs: rules.milliseconds, durationMs: rules.milliseconds });
const RESPONSE_SCHEMA = defineSchema<LlmResponseInfo>({ responseModel: rules.string, responseId: rules.string, finishReasons: rules.strings });
const USAGE_SCHEMA = defineSchema<LlmUsage>({
  inputTokens: rules.amount,
  outputTokens: rules.amount,
  cacheReadInputTokens: rules.amount,
  cacheCreationInputTokens: rules.amount,
  reasoningOutputTokens: rules.amount,
});
const TRACER_RULE: Rule = {
  accepts: "an OpenTelemetry Tracer",
  test: (value) => typeof (value as Partial<Tracer> | undefined)?.startSpan === "function",
};
const SOFT_ERROR_RULE = rules.oneOf(SOFT_ERROR_KINDS);
const END_TIME_RULE: Rule = {
  accepts: "a performance.now() reading no later than now",
  test: (value) => typeof value === "number" && Number.isFinite(value) && value <= performance.now(),
};

/** The options after validation: the required ones may be missing too. */
export type ValidLlmCallOptions = Partial<LlmCallOptions>;
type ValidOptions = ValidLlmCallOptions;

/** The options of an LLM call as `where` was given them, checked (options.ts). */
export function readLlmCallOptions(where: string, input: unknown): ValidLlmCallOptions {
  return LLM_CALL_SCHEMA.read(where, input);
}

function tokensOf(usage: LlmUsage): number {
  return (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
}

/** `{operation} {model}` as the GenAI conventions name it; what is there of it when the caller left a part out. */
function spanNameOf(options: ValidOptions): string {
  if (!options.requestModel) return options.operation ?? "gen_ai";
  return options.operation === undefined ? options.requestModel : `${options.operation} ${options.requestModel}`;
}

/** Only what the GenAI conventions call sampling-relevant goes in at creation: the SDK validates and copies creation
 * attributes twice, and a later setAttribute once. */
export function creationAttributes(options: ValidOptions): Attributes {
  const attributes: Attributes = {};
  if (options.operation !== undefined) attributes[ATTR_GEN_AI_OPERATION_NAME] = options.operation;
  if (options.provider !== undefined) attributes[ATTR_GEN_AI_PROVIDER_NAME] = options.provider;
  if (options.requestModel !== undefined) attributes[ATTR_GEN_AI_REQUEST_MODEL] = options.requestModel;
  if (options.serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = options.serverAddress;
  if (options.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = options.serverPort;
  return attributes;
}

/** The request attributes that follow creation: the caller's extra ones, and `gen_ai.request.stream` for a streaming
 * request only (the GenAI conventions set it only then: its absence means "not streaming"). */
export function writeRequestAttributes(span: Span, options: ValidOptions): void {
  if (options.attributes !== undefined) span.setAttributes(options.attributes);
  if (options.stream === true) span.setAttribute(ATTR_GEN_AI_REQUEST_STREAM, true);
}

class LlmCallSpan implements LlmCall, AttemptHost {
  readonly span: Span;
  readonly context: Context;
  attempts: readonly AttemptEntry[] = NO_ATTEMPTS;
  firstAttemptAt: number | undefined;
  private readonly options: ValidOptions;
  private readonly startedAt = performance.now();
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

  constructor(tracer: Tracer, options: ValidOptions) {
    this.options = options;
    const parent = options.parentContext ?? context.active();
    let span: Span;
    try {
      span = tracer.startSpan(spanNameOf(options), { kind: options.kind ?? SpanKind.CLIENT, attributes: creationAttributes(options) }, parent);
    } catch (failure) {
      reportFailure("startLlmCall", failure);
      span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    }
    this.span = span;
    this.context = contextWithSpan(parent, span);
    try {
      writeRequestAttributes(span, options);
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

  recordAttempt(input: LlmAttempt): void {
    try {
      if (this.ended) return;
      const attempt = ATTEMPT_SCHEMA.read("LlmCall.recordAttempt", input);
      // An HTTP error status with no error object (the SDK is about to retry it) is still a failed attempt.
      const failure =
        attempt.error ?? (attempt.statusCode !== undefined && attempt.statusCode >= 400 ? { status: attempt.statusCode } : undefined);
      const classification = failure === undefined ? undefined : classifyError(failure);
      addAttempt(this, this.span, {
        statusCode: attempt.statusCode ?? classification?.statusCode ?? 0,
        errorClass: classification?.errorClass ?? "ok",
        waitMs: Math.round(attempt.waitMs ?? 0),
        durationMs: attempt.durationMs === undefined ? undefined : Math.round(attempt.durationMs),
        fingerprint: undefined,
      });
    } catch (failure) {
      reportFailure("LlmCall.recordAttempt", failure);
    }
  }

  recordResponse(input: LlmResponseInfo): void {
    try {
      const response = RESPONSE_SCHEMA.read("LlmCall.recordResponse", input);
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

  recordUsage(input: LlmUsage): void {
    try {
      if (this.ended) return;
      // NaN or a negative count would poison the trace's running total (and the budget) for good: left out.
      const usage = USAGE_SCHEMA.read("LlmCall.recordUsage", input);
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
      const price = this.options.provider === undefined ? undefined : currentPrice(this.options.provider, model);
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
      if (!isValid("LlmCall.softError", "kind", kind, SOFT_ERROR_RULE)) return;
      this.softErrorKind = kind;
      markSoftError(this.span, kind, typeof detail === "string" ? detail : undefined, this.options.operation, this.metrics());
    } catch (failure) {
      reportFailure("LlmCall.softError", failure);
    }
  }

  end(error?: unknown, endTime?: number): void {
    if (this.ended) return;
    this.ended = true;
    try {
      const span = this.span;
      const endedAt = endTime !== undefined && isValid("LlmCall.end", "endTime", endTime, END_TIME_RULE) ? Math.max(endTime, this.startedAt) : undefined;
      // A failed call is worth its attempt event even when the attempt itself succeeded (e.g. parsing failed).
      if (error !== undefined || this.softErrorKind !== undefined) flushFirstAttempt(this, span);
      let errorType: string | undefined;
      if (error !== undefined) {
        const classification = recordError(span, error);
        errorType = classification.errorType;
        if (classification.statusCode === undefined) {
          const lastStatus = lastStatusCode(this);
          if (lastStatus !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, lastStatus);
        }
      }
      writeAttempts(this, span, true);
      // A root call has no running totals of its own trace to write, and no workflow deadline to mark.
      if (!this.isTraceRoot) {
        writeBudgetTotals(span, this.context);
        markDeadlineAtEnd(span, this.context, endedAt === undefined ? undefined : Date.now() - (performance.now() - endedAt));
      }
      this.recordMetrics(errorType, endedAt ?? performance.now());
      span.end(endedAt);
    } catch (failure) {
      reportFailure("LlmCall.end", failure);
    }
  }

  private metrics(): LlmMetrics {
    return this.options.metrics ?? instruments();
  }

  retryMetric(): AttemptMetric {
    const attributes: Attributes = {};
    if (this.options.operation !== undefined) attributes[ATTR_GEN_AI_OPERATION_NAME] = this.options.operation;
    return { attributes, target: this.metrics() };
  }

  private recordMetrics(errorType: string | undefined, endedAt: number): void {
    const metrics = this.metrics();
    if (!metrics.enabled) return;
    // The metrics carry the attributes the span was created with, and the response model.
    const attributes = creationAttributes(this.options);
    if (this.responseModel !== undefined) attributes[ATTR_GEN_AI_RESPONSE_MODEL] = this.responseModel;
    const tokenAttributes = { ...attributes };
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    // The instruments by name, not through record(): a name in a variable costs V8 a slow lookup on every call.
    try {
      metrics.operationDuration.record((endedAt - this.startedAt) / 1000, attributes);
      if (this.usage?.inputTokens !== undefined) {
        metrics.tokenUsage.record(this.usage.inputTokens, { ...tokenAttributes, [ATTR_GEN_AI_TOKEN_TYPE]: "input" });
      }
      if (this.usage?.outputTokens !== undefined) {
        metrics.tokenUsage.record(this.usage.outputTokens, { ...tokenAttributes, [ATTR_GEN_AI_TOKEN_TYPE]: "output" });
      }
    } catch (failure) {
      reportFailure("LlmCall metrics", failure);
    }
  }
}

/** Starts the span of an LLM call exactly where `options` say (no call site is asked). */
export function openLlmCall(tracer: Tracer, options: ValidOptions): LlmCall {
  return new LlmCallSpan(tracer, options);
}

/**
 * Starts an LLM call span (`{operation} {model}`, kind CLIENT) under `options.parentContext` or the active context,
 * with the deadline time left recorded. The instrumentation reports attempts, the response, usage and soft errors,
 * then calls `end`. Without `parentContext`, a registered framework integration may place the call under its own
 * run, or return the framework's model call for the SDK call to report to (call-sites.ts). Never throws: an invalid
 * option is reported through `diag` and ignored (options.ts).
 */
export function startLlmCall(tracer: Tracer, options: LlmCallOptions): LlmCall {
  const valid = LLM_CALL_SCHEMA.read("startLlmCall", options);
  const chosen = isValid("startLlmCall", "tracer", tracer, TRACER_RULE) ? tracer : coreTracer();
  const placed = valid.parentContext === undefined ? placeLlmCall(valid) : undefined;
  if (placed === undefined) return new LlmCallSpan(chosen, valid);
  return "call" in placed ? placed.call : new LlmCallSpan(chosen, { ...valid, parentContext: placed.parent });
}
