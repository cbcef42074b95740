/** Which wire format a route speaks. */
export type Provider = "openai" | "anthropic";

/** The endpoints the mock answers. */
export type RouteName = "chat.completions" | "responses" | "embeddings" | "messages";

/**
 * Provider-neutral error names. Each one maps to the exact status, error body and headers the real provider sends
 * (see README "Error presets"), so `{ kind: "error", error: "rate_limit" }` is a 429 on both providers, while
 * `"overloaded"` is a 503 on OpenAI and a 529 `overloaded_error` on Anthropic.
 */
export type ErrorPreset =
  | "rate_limit"
  | "insufficient_quota"
  | "context_length_exceeded"
  | "invalid_request"
  | "authentication"
  | "permission"
  | "not_found"
  | "server_error"
  | "overloaded";

/** Token counts a step can add on top of the computed usage (prompt caching, reasoning). */
export interface UsageExtras {
  /** OpenAI `prompt_tokens_details.cached_tokens` / Anthropic `cache_read_input_tokens`. */
  cacheReadInputTokens?: number;
  /** Anthropic `cache_creation_input_tokens` (OpenAI has no equivalent and ignores it). */
  cacheCreationInputTokens?: number;
  /** OpenAI `completion_tokens_details.reasoning_tokens` / Responses `output_tokens_details.reasoning_tokens`. */
  reasoningTokens?: number;
}

/** Fields every step accepts. */
export interface StepCommon {
  /** Wait this long before sending the response head. */
  delayMs?: number;
  /** Wait this long between SSE events of a streamed answer. */
  chunkDelayMs?: number;
  /** Extra response headers (merged over the defaults). */
  headers?: Record<string, string>;
}

/** A tool call the mock answers with. */
export interface ToolCallSpec {
  /** Tool name; defaults to the first tool in the request's `tools`, else `"mock_tool"`. */
  name?: string;
  /** Arguments object; defaults to a value built from the tool's JSON schema (see README). */
  arguments?: Record<string, unknown>;
}

/** A normal answer: generated text (or `text`), usage computed from the request. */
export interface OkStep extends StepCommon {
  kind: "ok";
  /** Answer text; defaults to seeded lorem-style text (deterministic for a seed and request). */
  text?: string;
  usage?: UsageExtras;
}

/** Alias for `{ kind: "ok", delayMs }`. */
export interface LatencyStep extends StepCommon {
  kind: "latency";
  ms: number;
  text?: string;
}

/** An HTTP error with the provider-exact body. Give `error`, `status`, or both. */
export interface ErrorStep extends StepCommon {
  kind: "error";
  error?: ErrorPreset;
  status?: number;
  /** Overrides the preset's message. */
  message?: string;
  /** Sets `retry-after` (seconds, as the providers send it). */
  retryAfterSeconds?: number;
  /** Sets `retry-after-ms` (the OpenAI and Anthropic SDKs prefer it over `retry-after`). */
  retryAfterMs?: number;
  /** Sets `x-should-retry: true|false`, which the Stainless SDKs obey over their status rules. */
  shouldRetry?: boolean;
  /** Replaces the whole JSON body. */
  body?: unknown;
}

/** Stream (or body) cut: the socket is destroyed after `afterChunks` SSE events (or half the JSON body). */
export interface StreamCutStep extends StepCommon {
  kind: "stream_cut";
  afterChunks?: number;
}

/**
 * The stream ends cleanly (a properly finished response) after `afterChunks` SSE events but before its terminal
 * events: chat gets no `finish_reason` chunk, usage chunk or `[DONE]`, Responses no `response.completed`, Anthropic
 * no `message_delta` / `message_stop`. The SDKs end their loop without an error. Non-streaming: a 200 with half the
 * JSON body, properly ended.
 */
export interface StreamIncompleteStep extends StepCommon {
  kind: "stream_incomplete";
  /** SSE events sent first (default 2), never the terminal ones. */
  afterChunks?: number;
}

/**
 * The connection is reset (a TCP RST, as a proxy sends when its upstream goes away) after `afterChunks` SSE events,
 * before the terminal ones; non-streaming, half-way through the JSON body. The client sees `ECONNRESET`.
 */
export interface StreamResetStep extends StepCommon {
  kind: "stream_reset";
  /** SSE events sent first (default 2), never the terminal ones. */
  afterChunks?: number;
}

/** Never answers. For streams, `afterChunks` events are sent first. Ends when the client aborts or on close(). */
export interface HangStep extends StepCommon {
  kind: "hang";
  afterChunks?: number;
  /** Non-streaming: the 200 headers are sent, then the body stalls (a body read timeout, not a connect one). */
  bodyStall?: boolean;
}

/** A 200 whose body (or one SSE event) is not valid JSON. */
export interface MalformedJsonStep extends StepCommon {
  kind: "malformed_json";
}

/**
 * A 200 carrying an error: OpenAI chat/embeddings `{"error":{...}}` body or a `data: {"error":...}` event,
 * Responses `status: "failed"` (`response.failed` event), Anthropic `{"type":"error",...}` body or `event: error`.
 */
export interface ErrorPayloadStep extends StepCommon {
  kind: "error_payload";
  error?: ErrorPreset;
  message?: string;
  /** For streams: SSE events sent before the error event (default 2). */
  afterChunks?: number;
}

/** The answer is cut by the token limit: `length` / Responses `incomplete` (max_output_tokens) / `max_tokens`. */
export interface TruncatedStep extends StepCommon {
  kind: "truncated";
  text?: string;
}

/** `finish_reason: content_filter` / Responses incomplete (content_filter) / Anthropic `stop_reason: refusal`. */
export interface ContentFilterStep extends StepCommon {
  kind: "content_filter";
}

/** The model refuses: OpenAI `message.refusal` / Responses `refusal` content part / Anthropic `stop_reason: refusal`. */
export interface RefusalStep extends StepCommon {
  kind: "refusal";
  refusal?: string;
}

/** An empty answer (`""`, zero output tokens). */
export interface EmptyStep extends StepCommon {
  kind: "empty";
}

/** The model asks for tool calls (`tool_calls` / `function_call` items / `tool_use` blocks). */
export interface ToolCallsStep extends StepCommon {
  kind: "tool_calls";
  calls?: ToolCallSpec[];
  usage?: UsageExtras;
}

/** One scripted response. */
export type FaultStep =
  | OkStep
  | LatencyStep
  | ErrorStep
  | StreamCutStep
  | StreamIncompleteStep
  | StreamResetStep
  | HangStep
  | MalformedJsonStep
  | ErrorPayloadStep
  | TruncatedStep
  | ContentFilterStep
  | RefusalStep
  | EmptyStep
  | ToolCallsStep;

export type FaultKind = FaultStep["kind"];

/**
 * What the mock answers, as plain JSON (the CLI reads this form from a file).
 * Selection order for a request: its scenario (`scenarios[name]`), then `routes[route]`, then `sequence`,
 * then `fallback` (default `{ kind: "ok" }`). Each list is consumed one step per request; an exhausted list
 * falls through to the next source.
 */
export interface FaultScript {
  sequence?: FaultStep[];
  routes?: Partial<Record<RouteName, FaultStep[]>>;
  scenarios?: Record<string, FaultStep[]>;
  fallback?: FaultStep;
}

export interface MockLlmOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Seeds generated text, ids and embeddings. Default 1. */
  seed?: number;
  script?: FaultScript;
  /** Seconds since epoch for `created` fields; default the real clock. */
  now?: () => number;
}

/** What the mock received, for assertions. Auth headers are removed. */
export interface RecordedRequest {
  /** 1-based order of arrival across the whole server. */
  index: number;
  method: string;
  path: string;
  route: RouteName | undefined;
  /** Lower-cased header names; `authorization`, `x-api-key`, `api-key`, `cookie` removed. */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when the body was empty or not JSON). */
  body: unknown;
  stream: boolean;
  /** The scenario key from `x-mock-scenario` or `[scenario:…]`, if any. */
  scenario: string | undefined;
  /**
   * 1-based count of requests seen for the same scenario key (or, without one, the same route):
   * the third try of a 429-429-200 scenario has attempt 3.
   */
  attempt: number;
  /** The SDK's `x-stainless-retry-count` header, when sent. */
  sdkRetryCount: number | undefined;
  /** The step that was applied. */
  step: FaultStep;
}
