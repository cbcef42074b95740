/**
 * What the error classifier (errors.ts) knows by name: the codes, class names and messages of the SDKs, protocols and
 * runtimes it recognises, each mapped to an error class. Facts only: how they are read is errors.ts.
 */
import type { ErrorClass } from "./attributes.js";

// Provider error codes/types (OpenAI `code`/`type`, Anthropic `error.error.type`) that decide the class on their own.
export const CODE_CLASSES: Readonly<Record<string, ErrorClass>> = {
  insufficient_quota: "quota_exceeded",
  billing_hard_limit_reached: "quota_exceeded",
  context_length_exceeded: "context_length_exceeded",
  model_context_window_exceeded: "context_length_exceeded",
  string_above_max_length: "context_length_exceeded",
  content_filter: "content_filter",
  content_policy_violation: "content_filter",
  content_filter_error: "content_filter",
  responsible_ai_policy_violation: "content_filter",
  rate_limit_exceeded: "rate_limit",
  rate_limit_error: "rate_limit",
  overloaded_error: "overloaded",
  authentication_error: "auth",
  invalid_api_key: "auth",
  permission_error: "auth",
  not_found_error: "not_found",
  model_not_found: "not_found",
  api_error: "server_error",
  server_error: "server_error",
  timeout_error: "timeout",
  request_too_large: "invalid_request",
  invalid_request_error: "invalid_request",
  // The MCP 2.x SDK's own failures (`SdkError.code`): they happen on this side and never come from the wire.
  REQUEST_TIMEOUT: "timeout",
  CONNECTION_CLOSED: "connection",
  NOT_CONNECTED: "connection",
  SEND_FAILED: "connection",
  INVALID_RESULT: "invalid_request",
  CAPABILITY_NOT_SUPPORTED: "invalid_request",
};

// JSON-RPC 2.0 error codes (an MCP server's errors among them). A code from -32099 to -32000 that is not listed is a
// server-defined failure (`server_error`).
export const JSON_RPC_CODE_CLASSES: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [-32700, "invalid_request"], // parse error
  [-32600, "invalid_request"], // invalid request
  [-32601, "not_found"], // method not found
  [-32602, "invalid_request"], // invalid params (MCP 2.x: an unknown tool)
  [-32603, "server_error"], // internal error
  [-32002, "not_found"], // MCP: resource not found
]);

// The MCP 1.x SDK's `McpError` codes its client raises itself (a closed connection, a request timeout): they name a
// failure on this side, not a peer's answer.
export const MCP_LOCAL_CODE_CLASSES: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [-32000, "connection"],
  [-32001, "timeout"],
]);

/** JSON-RPC reserves -32768 to -32000 for its own and the server's errors. */
export const JSON_RPC_RESERVED_MIN = -32768;
export const JSON_RPC_RESERVED_MAX = -32000;
export const JSON_RPC_SERVER_ERROR_MIN = -32099;

// Error class names from the Stainless-generated SDKs (openai, @anthropic-ai/sdk), the OpenAI Agents SDK, DOM/undici and
// Node.
export const NAME_CLASSES: Readonly<Record<string, ErrorClass>> = {
  RateLimitError: "rate_limit",
  APIConnectionTimeoutError: "timeout",
  TimeoutError: "timeout",
  ConnectTimeoutError: "timeout",
  HeadersTimeoutError: "timeout",
  BodyTimeoutError: "timeout",
  APIConnectionError: "connection",
  APIUserAbortError: "aborted",
  AbortError: "aborted",
  AuthenticationError: "auth",
  PermissionDeniedError: "auth",
  NotFoundError: "not_found",
  BadRequestError: "invalid_request",
  UnprocessableEntityError: "invalid_request",
  ConflictError: "server_error",
  InternalServerError: "server_error",
  OverloadedError: "overloaded",
  ContentFilterFinishReasonError: "content_filter",
  LengthFinishReasonError: "context_length_exceeded",
  // The OpenAI Agents SDK's guardrails: the same input trips them again, so retrying cannot help.
  InputGuardrailTripwireTriggered: "guardrail_tripwire",
  OutputGuardrailTripwireTriggered: "guardrail_tripwire",
  ToolInputGuardrailTripwireTriggered: "guardrail_tripwire",
  ToolOutputGuardrailTripwireTriggered: "guardrail_tripwire",
  // LangChain's name for a request that does not fit the model's context window (its cause, when it wraps the
  // provider's error, says more: see decisiveError).
  ContextOverflowError: "context_length_exceeded",
};

// Node and undici network error codes (found on the error or on its `cause`, e.g. fetch's "fetch failed" TypeError).
export const NETWORK_CODE_CLASSES: Readonly<Record<string, ErrorClass>> = {
  ECONNREFUSED: "connection",
  ECONNRESET: "connection",
  ECONNABORTED: "connection",
  ENOTFOUND: "connection",
  EAI_AGAIN: "connection",
  EPIPE: "connection",
  EHOSTUNREACH: "connection",
  ENETUNREACH: "connection",
  ENETDOWN: "connection",
  ETIMEDOUT: "timeout",
  ESOCKETTIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  UND_ERR_ABORTED: "aborted",
  ABORT_ERR: "aborted",
};

// Class names that say nothing beyond "an error": error.type falls back to the Telltale class for these.
export const GENERIC_NAMES = new Set([
  "",
  "Error",
  "Object",
  "TypeError",
  "DOMException",
  "APIError",
  "OpenAIError",
  "AnthropicError",
  "SystemError",
  // The MCP SDKs' error classes: the code says what failed.
  "McpError",
  "SdkError",
  "ProtocolError",
]);

// How each provider words a request that does not fit the model's context window. The 400 that carries one is
// typed `invalid_request_error` (both providers), so only the message tells it apart:
// - OpenAI chat and embeddings: "This model's maximum context length is 128000 tokens. However, your messages resulted
//   in 173172 tokens. Please reduce the length of the messages." (also "…you requested 4120 tokens (3120 in the
//   messages, 1000 in the completion)…" and "…Please reduce your prompt; or completion length.")
// - OpenAI Responses API: "Your input exceeds the context window of this model. Please adjust your input and try again."
// - OpenAI gpt-5 models: "Input tokens exceed the configured limit of 272000 tokens. Your messages resulted in …"
// - Anthropic: "prompt is too long: 208000 tokens > 200000 maximum", and "input length and `max_tokens` exceed context
//   limit: 178959 + 64000 > 200000, decrease input length or `max_tokens` and try again"
// - Anthropic's stop reason `model_context_window_exceeded`, when a gateway reports it as an error.
// An output limit alone ("max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens") is an
// invalid request, not an overflow: nothing here matches it.
export const CONTEXT_LENGTH_MESSAGE = new RegExp(
  [
    "context[ _]length",
    "maximum context",
    "exceeds the context window",
    "context[ _]window[ _]exceeded",
    "input tokens exceed the configured limit",
    "prompt is too long",
    "exceeds? (the )?context limit",
    "context window",
    "too many (input )?tokens",
    "input is too long",
    "reduce the length of the messages",
  ].join("|"),
  "i",
);
