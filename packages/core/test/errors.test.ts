import { describe, expect, it } from "vitest";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import {
  BudgetExceededError,
  DeadlineExceededError,
  classifyError,
  markKeep,
  recordError,
} from "@telltale/core";
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
} from "@telltale/core/attributes";
import { setupOtel } from "./otel.js";

const otel = setupOtel();

// Stand-ins shaped like the Stainless-generated SDK errors (openai, @anthropic-ai/sdk): the class name is the
// constructor's, `name` stays "Error", and the parsed body sits on `error`.
class APIError extends Error {
  constructor(
    readonly status: number | undefined,
    readonly error: unknown,
    message: string,
    readonly code?: string,
    readonly type?: string,
  ) {
    super(message);
  }
}
class RateLimitError extends APIError {}
class BadRequestError extends APIError {}
class AuthenticationError extends APIError {}
class PermissionDeniedError extends APIError {}
class NotFoundError extends APIError {}
class InternalServerError extends APIError {}
class APIConnectionError extends APIError {}
class APIConnectionTimeoutError extends APIConnectionError {}
class APIUserAbortError extends APIError {}

function openaiError<T extends APIError>(
  Kind: new (...args: ConstructorParameters<typeof APIError>) => T,
  status: number,
  body: { message: string; type?: string; code?: string },
): T {
  return new Kind(status, body, `${status} ${body.message}`, body.code, body.type);
}

function anthropicError<T extends APIError>(
  Kind: new (...args: ConstructorParameters<typeof APIError>) => T,
  status: number,
  type: string,
  message: string,
): T {
  return new Kind(status, { type: "error", error: { type, message } }, `${status} ${message}`);
}

describe("classifyError (F2, F3)", () => {
  it.each([
    ["openai 429 rate limit", openaiError(RateLimitError, 429, { message: "Rate limit reached", type: "requests", code: "rate_limit_exceeded" }), "rate_limit", true, "RateLimitError", 429],
    ["openai 429 insufficient quota", openaiError(RateLimitError, 429, { message: "You exceeded your current quota", type: "insufficient_quota", code: "insufficient_quota" }), "quota_exceeded", false, "RateLimitError", 429],
    ["openai 400 context length", openaiError(BadRequestError, 400, { message: "This model's maximum context length is 128000 tokens", type: "invalid_request_error", code: "context_length_exceeded" }), "context_length_exceeded", false, "BadRequestError", 400],
    ["openai 400 content filter", openaiError(BadRequestError, 400, { message: "filtered", type: "invalid_request_error", code: "content_filter" }), "content_filter", false, "BadRequestError", 400],
    ["openai 400 invalid request", openaiError(BadRequestError, 400, { message: "Unknown parameter", type: "invalid_request_error" }), "invalid_request", false, "BadRequestError", 400],
    ["openai 401", openaiError(AuthenticationError, 401, { message: "Incorrect API key", type: "invalid_request_error", code: "invalid_api_key" }), "auth", false, "AuthenticationError", 401],
    ["openai 404 model", openaiError(NotFoundError, 404, { message: "The model does not exist", code: "model_not_found" }), "not_found", false, "NotFoundError", 404],
    ["openai 500", openaiError(InternalServerError, 500, { message: "server had an error", type: "server_error" }), "server_error", true, "InternalServerError", 500],
    ["anthropic 429", anthropicError(RateLimitError, 429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), "rate_limit", true, "RateLimitError", 429],
    ["anthropic 529 overloaded", anthropicError(InternalServerError, 529, "overloaded_error", "Overloaded"), "overloaded", true, "InternalServerError", 529],
    ["anthropic 400 prompt too long", anthropicError(BadRequestError, 400, "invalid_request_error", "prompt is too long: 208000 tokens > 200000 maximum"), "context_length_exceeded", false, "BadRequestError", 400],
    ["anthropic 400 invalid", anthropicError(BadRequestError, 400, "invalid_request_error", "messages: field required"), "invalid_request", false, "BadRequestError", 400],
    ["anthropic 401", anthropicError(AuthenticationError, 401, "authentication_error", "invalid x-api-key"), "auth", false, "AuthenticationError", 401],
    ["anthropic 403", anthropicError(PermissionDeniedError, 403, "permission_error", "no access"), "auth", false, "PermissionDeniedError", 403],
    ["anthropic 404", anthropicError(NotFoundError, 404, "not_found_error", "model: x"), "not_found", false, "NotFoundError", 404],
    ["anthropic 500 api_error", anthropicError(InternalServerError, 500, "api_error", "Internal server error"), "server_error", true, "InternalServerError", 500],
  ] as const)("%s", (_label, err, errorClass, recoverable, errorType, statusCode) => {
    expect(classifyError(err)).toEqual({ errorClass, recoverable, errorType, statusCode });
  });

  it.each([
    [408, "timeout", true],
    [409, "server_error", true],
    [413, "invalid_request", false],
    [422, "invalid_request", false],
    [502, "server_error", true],
    [503, "server_error", true],
    [529, "overloaded", true],
  ] as const)("a bare HTTP status %i is %s", (status, errorClass, recoverable) => {
    const err = Object.assign(new Error(`HTTP ${status}`), { status });
    expect(classifyError(err)).toEqual({ errorClass, recoverable, errorType: errorClass, statusCode: status });
  });

  it("classifies a 400 by its context-length message when no code says so", () => {
    const err = Object.assign(new Error("Input is too long for the model's context window"), { status: 400 });
    expect(classifyError(err).errorClass).toBe("context_length_exceeded");
  });

  it("recognises the SDK connection, timeout and abort classes", () => {
    expect(classifyError(new APIConnectionTimeoutError(undefined, undefined, "Request timed out."))).toEqual({
      errorClass: "timeout",
      recoverable: true,
      errorType: "APIConnectionTimeoutError",
    });
    expect(classifyError(new APIConnectionError(undefined, undefined, "Connection error."))).toMatchObject({
      errorClass: "connection",
      recoverable: true,
      errorType: "APIConnectionError",
    });
    expect(classifyError(new APIUserAbortError(undefined, undefined, "Request was aborted."))).toMatchObject({
      errorClass: "aborted",
      recoverable: false,
      errorType: "APIUserAbortError",
    });
  });

  it("recognises DOM AbortError and TimeoutError", () => {
    const controller = new AbortController();
    controller.abort();
    expect(classifyError(controller.signal.reason)).toMatchObject({ errorClass: "aborted", errorType: "AbortError" });
    expect(classifyError(new DOMException("timed out", "TimeoutError"))).toMatchObject({
      errorClass: "timeout",
      recoverable: true,
      errorType: "TimeoutError",
    });
  });

  it.each([
    ["ECONNREFUSED", "connection"],
    ["ECONNRESET", "connection"],
    ["ENOTFOUND", "connection"],
    ["EPIPE", "connection"],
    ["ETIMEDOUT", "timeout"],
    ["UND_ERR_SOCKET", "connection"],
    ["UND_ERR_CONNECT_TIMEOUT", "timeout"],
    ["UND_ERR_HEADERS_TIMEOUT", "timeout"],
  ] as const)("recognises the Node network code %s, directly and on err.cause", (code, errorClass) => {
    const direct = Object.assign(new Error(`connect ${code}`), { code });
    expect(classifyError(direct)).toEqual({ errorClass, recoverable: true, errorType: errorClass });
    // fetch() wraps the socket error: TypeError("fetch failed", { cause })
    const wrapped = new TypeError("fetch failed", { cause: direct });
    expect(classifyError(wrapped)).toEqual({ errorClass, recoverable: true, errorType: errorClass });
  });

  it("recognises Telltale's own errors", () => {
    expect(classifyError(new BudgetExceededError("tokens", 100, 150))).toEqual({
      errorClass: "budget_exceeded",
      recoverable: false,
      errorType: "BudgetExceededError",
    });
    expect(classifyError(new DeadlineExceededError(500))).toEqual({
      errorClass: "deadline_exceeded",
      recoverable: false,
      errorType: "DeadlineExceededError",
    });
  });

  it("falls back to unknown for anything else, never throwing", () => {
    expect(classifyError(new Error("boom"))).toEqual({ errorClass: "unknown", recoverable: false, errorType: "unknown" });
    expect(classifyError("a string")).toEqual({ errorClass: "unknown", recoverable: false, errorType: "unknown" });
    expect(classifyError(undefined)).toEqual({ errorClass: "unknown", recoverable: false, errorType: "unknown" });
    class WeirdError extends Error {}
    expect(classifyError(new WeirdError("x"))).toMatchObject({ errorClass: "unknown", errorType: "WeirdError" });
    const hostile = new Proxy({}, { get: () => { throw new Error("getter"); } });
    expect(classifyError(hostile)).toEqual({ errorClass: "unknown", recoverable: false, errorType: "unknown" });
  });
});

describe("recordError and markKeep", () => {
  it("writes error.type, the class, recoverability, status, an exception event and ERROR status", () => {
    otel.reset();
    const span = trace.getTracer("test").startSpan("call");
    const err = anthropicError(RateLimitError, 429, "rate_limit_error", "slow down");
    const classification = recordError(span, err);
    span.end();
    expect(classification.errorClass).toBe("rate_limit");
    const finished = otel.span("call");
    expect(finished.attributes).toMatchObject({
      [ATTR_ERROR_TYPE]: "RateLimitError",
      [ATTR_TELLTALE_ERROR_CLASS]: "rate_limit",
      [ATTR_TELLTALE_ERROR_RECOVERABLE]: true,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 429,
      [ATTR_TELLTALE_KEEP]: true,
      [ATTR_TELLTALE_KEEP_REASONS]: ["error"],
    });
    expect(finished.status).toEqual({ code: SpanStatusCode.ERROR, message: "429 slow down" });
    expect(finished.events.map((event) => event.name)).toEqual(["exception"]);
  });

  it("accumulates distinct keep reasons on one span", () => {
    otel.reset();
    const span = trace.getTracer("test").startSpan("kept");
    markKeep(span, "retried");
    markKeep(span, "late");
    markKeep(span, "retried");
    span.end();
    expect(otel.span("kept").attributes[ATTR_TELLTALE_KEEP_REASONS]).toEqual(["retried", "late"]);
  });
});
