// What classifyError learned from the integrations, with the real error classes of the packages they instrument:
// the AI SDK's APICallError (status, provider body, isRetryable) and RetryError (its last error), MCP's JSON-RPC
// errors, and wrapper errors that keep the provider's error as their cause (LangChain's ContextOverflowError).
import { ContextOverflowError } from "@langchain/core/errors";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { APICallError, RetryError } from "ai";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { classifyError } from "@telltale/core";

function apiCallError(fields: { statusCode?: number; data?: unknown; message?: string; isRetryable?: boolean; cause?: unknown }): APICallError {
  return new APICallError({ message: fields.message ?? "Bad request", url: "http://127.0.0.1/v1/chat/completions", requestBodyValues: {}, ...fields });
}

describe("the AI SDK's errors", () => {
  it("classifies an APICallError by its statusCode, with its own name as error.type", () => {
    expect(classifyError(apiCallError({ statusCode: 429 }))).toEqual({
      errorClass: "rate_limit",
      recoverable: true,
      errorType: "AI_APICallError",
      statusCode: 429,
    });
    expect(classifyError(apiCallError({ statusCode: 503 }))).toMatchObject({ errorClass: "server_error", statusCode: 503 });
  });

  it("reads the provider's error body the AI SDK parsed into data (OpenAI code, Anthropic error.type and message)", () => {
    const openaiQuota = apiCallError({ statusCode: 429, data: { error: { message: "You exceeded your quota", type: "insufficient_quota", code: "insufficient_quota" } } });
    expect(classifyError(openaiQuota)).toMatchObject({ errorClass: "quota_exceeded", recoverable: false });
    const anthropicOverloaded = apiCallError({ statusCode: 529, data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } });
    expect(classifyError(anthropicOverloaded)).toMatchObject({ errorClass: "overloaded", recoverable: true });
    const anthropicTooLong = apiCallError({
      statusCode: 400,
      message: "Bad request",
      data: { type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 208000 tokens > 200000 maximum" } },
    });
    expect(classifyError(anthropicTooLong)).toMatchObject({ errorClass: "context_length_exceeded", recoverable: false, statusCode: 400 });
  });

  it("takes a request the AI SDK marks retryable without a status (a network failure it wrapped) as a connection failure", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    expect(classifyError(apiCallError({ message: "Cannot connect to API", isRetryable: true, cause: refused }))).toMatchObject({
      errorClass: "connection",
      recoverable: true,
      errorType: "AI_APICallError",
    });
    expect(classifyError(apiCallError({ message: "Cannot connect to API", isRetryable: true, cause: new Error("socket hung up") }))).toMatchObject({
      errorClass: "connection",
    });
    expect(classifyError(apiCallError({ message: "Something odd", isRetryable: false }))).toMatchObject({ errorClass: "unknown" });
  });

  it("classifies a RetryError by the error of its last attempt, status included", () => {
    const errors = [apiCallError({ statusCode: 503 }), apiCallError({ statusCode: 429 })];
    const retryError = new RetryError({ message: "Failed after 2 attempts", reason: "maxRetriesExceeded", errors });
    expect(classifyError(retryError)).toEqual({ errorClass: "rate_limit", recoverable: true, errorType: "AI_APICallError", statusCode: 429 });
    const abort = Object.assign(new Error("This operation was aborted"), { name: "AbortError" });
    expect(classifyError(new RetryError({ message: "Aborted", reason: "abort", errors: [abort] }))).toMatchObject({ errorClass: "aborted" });
  });
});

describe("JSON-RPC and MCP errors", () => {
  it.each([
    [ErrorCode.InvalidParams, "invalid_request", false],
    [ErrorCode.MethodNotFound, "not_found", false],
    [ErrorCode.ParseError, "invalid_request", false],
    [ErrorCode.InternalError, "server_error", true],
    [-32050, "server_error", true],
  ])("classifies a peer's JSON-RPC error %i by its code, which is also its error.type", (code, errorClass, recoverable) => {
    expect(classifyError(new McpError(code, "failed"))).toEqual({ errorClass, recoverable, errorType: String(code), rpcCode: code });
  });

  it("names the MCP client's own failures (a timeout, a closed connection) by their class, with no JSON-RPC code", () => {
    expect(classifyError(new McpError(ErrorCode.RequestTimeout, "Request timed out"))).toEqual({ errorClass: "timeout", recoverable: true, errorType: "timeout" });
    expect(classifyError(new McpError(ErrorCode.ConnectionClosed, "Connection closed"))).toEqual({
      errorClass: "connection",
      recoverable: true,
      errorType: "connection",
    });
    // The 2.x SDK's SdkError carries a string code (SdkErrorCode.RequestTimeout).
    const sdkTimeout = Object.assign(new Error("Request timed out"), { name: "SdkError", code: "REQUEST_TIMEOUT" });
    expect(classifyError(sdkTimeout)).toEqual({ errorClass: "timeout", recoverable: true, errorType: "timeout" });
  });
});

describe("wrapper errors", () => {
  const contextTooLong = (): InstanceType<typeof OpenAI.BadRequestError> =>
    new OpenAI.BadRequestError(
      400,
      { message: "This model's maximum context length is 8192 tokens.", type: "invalid_request_error", code: "context_length_exceeded" },
      undefined,
      new Headers(),
    );

  it("classifies LangChain's ContextOverflowError by the provider's error it wraps", () => {
    const wrapped = ContextOverflowError.fromError(contextTooLong());
    expect(classifyError(wrapped)).toEqual({
      errorClass: "context_length_exceeded",
      recoverable: false,
      errorType: "BadRequestError",
      statusCode: 400,
    });
    expect(classifyError(new ContextOverflowError())).toMatchObject({ errorClass: "context_length_exceeded", errorType: "ContextOverflowError" });
  });

  it("follows cause through wrappers that say nothing themselves, and lets an error that does speak for itself", () => {
    const rateLimited = new OpenAI.RateLimitError(429, { message: "Rate limit reached", type: "requests" }, undefined, new Headers());
    const wrapped = new Error("node agent failed", { cause: new Error("model call failed", { cause: rateLimited }) });
    expect(classifyError(wrapped)).toMatchObject({ errorClass: "rate_limit", statusCode: 429, errorType: "RateLimitError" });
    const ownStatus = Object.assign(new Error("gateway failed", { cause: rateLimited }), { status: 502 });
    expect(classifyError(ownStatus)).toMatchObject({ errorClass: "server_error", statusCode: 502 });
    const looped: { message: string; cause?: unknown } = { message: "loop" };
    looped.cause = looped;
    expect(classifyError(looped)).toMatchObject({ errorClass: "unknown" });
  });

  it("never takes an inherited property for a known code", () => {
    for (const code of ["constructor", "toString", "__proto__"]) {
      expect(classifyError(Object.assign(new Error("odd"), { code }))).toEqual({ errorClass: "unknown", recoverable: false, errorType: "unknown" });
    }
  });
});
