/**
 * How an MCP failure is recorded (F2, F3). Core's `classifyError` knows the JSON-RPC codes, the MCP SDKs' own
 * failures (timeouts, closed connections) and every other error a request can fail with; a peer's JSON-RPC code comes
 * back as `rpcCode` and is `error.type`, as the MCP conventions ask. What is the MCP instrumentation's alone: a request
 * the caller's own signal aborted, and the code a server answers a handler's throw with.
 */
import { classifyError, isRecoverable, type ErrorClassification } from "@telltale/core";
import { fieldsOf } from "@telltale/instrumentation-common";

/** JSON-RPC's internal error: what the SDK answers when a handler throws an error without an integer code. */
const INTERNAL_ERROR = -32603;

/** Classifies an error a client request failed with. `aborted` says the caller's own signal had fired. */
export function classifyClientFailure(error: unknown, aborted: boolean): ErrorClassification {
  if (aborted) return { errorClass: "aborted", recoverable: false, errorType: "aborted" };
  return classifyError(error);
}

/** What the SDK answers a handler's throw with: its integer `code`, else -32603 (internal error). */
function wireCodeOfThrown(error: unknown): number {
  const code = fieldsOf(error)?.code;
  return typeof code === "number" && Number.isSafeInteger(code) ? code : INTERNAL_ERROR;
}

/**
 * Classifies an error a server handler threw: the class core finds in it (a rate limit or a network failure the
 * handler ran into says more than "internal error"; what it does not recognise is a `server_error`), named by the code
 * the SDK answers with. No HTTP status: the handler's own upstream calls are not this request's.
 */
export function classifyServerFailure(error: unknown): ErrorClassification & { readonly rpcCode: number } {
  const code = wireCodeOfThrown(error);
  const found = classifyError(error).errorClass;
  const errorClass = found === "unknown" ? "server_error" : found;
  return { errorClass, recoverable: isRecoverable(errorClass), errorType: String(code), rpcCode: code };
}
