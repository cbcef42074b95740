/**
 * How an MCP failure is classified (F2, F3). A JSON-RPC error from the peer carries a numeric code, recorded as
 * `rpc.response.status_code` and `error.type` (the MCP conventions ask for the code's string); a failure on this side
 * (a timeout, a closed connection, an abort) has no code on the wire and is named by its class. Errors that are not
 * the SDK's (a network error of the HTTP transport) fall back to core's classification.
 */
import { classifyError, isRecoverable, type ErrorClass, type ErrorClassification } from "@telltale/core";
import { fieldsOf } from "@telltale/instrumentation-common";

/** JSON-RPC 2.0 codes, and the MCP codes in the server-error range. */
const WIRE_CODE_CLASSES: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [-32700, "invalid_request"], // parse error
  [-32600, "invalid_request"], // invalid request
  [-32601, "not_found"], // method not found
  [-32602, "invalid_request"], // invalid params (v2: an unknown tool)
  [-32603, "server_error"], // internal error
  [-32002, "not_found"], // MCP: resource not found
]);

/** `@modelcontextprotocol/sdk` 1.x `McpError` codes that its client raises itself; they never come from the wire. */
const V1_LOCAL_CODE_CLASSES: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [-32000, "connection"], // ConnectionClosed
  [-32001, "timeout"], // RequestTimeout (also what v1 raises for an aborted signal: told apart by the caller)
]);

/** The v2 SDK's `SdkErrorCode` values (local errors, never serialized). */
const SDK_CODE_CLASSES: Readonly<Record<string, ErrorClass>> = {
  REQUEST_TIMEOUT: "timeout",
  CONNECTION_CLOSED: "connection",
  NOT_CONNECTED: "connection",
  SEND_FAILED: "connection",
  INVALID_RESULT: "invalid_request",
  CAPABILITY_NOT_SUPPORTED: "invalid_request",
};

/** What an MCP failure amounts to. */
export interface McpFailure extends ErrorClassification {
  /** The JSON-RPC error code the peer answered with, when it did. */
  readonly wireCode?: number;
}

function classified(errorClass: ErrorClass, errorType: string, wireCode?: number): McpFailure {
  const failure: { -readonly [K in keyof McpFailure]: McpFailure[K] } = { errorClass, recoverable: isRecoverable(errorClass), errorType };
  if (wireCode !== undefined) failure.wireCode = wireCode;
  return failure;
}

/** A JSON-RPC error code's class; codes outside the table are server-defined failures. */
export function classOfWireCode(code: number): ErrorClass {
  return WIRE_CODE_CLASSES.get(code) ?? (code >= -32099 && code <= -32000 ? "server_error" : "unknown");
}

/** Classifies an error a client request failed with. `aborted` says the caller's own signal had fired. */
export function classifyClientFailure(error: unknown, aborted: boolean): McpFailure {
  if (aborted) return classified("aborted", "aborted");
  const code = fieldsOf(error)?.code;
  if (typeof code === "number" && Number.isInteger(code)) {
    const local = V1_LOCAL_CODE_CLASSES.get(code);
    if (local !== undefined) return classified(local, local);
    return classified(classOfWireCode(code), String(code), code);
  }
  if (typeof code === "string") {
    const local = SDK_CODE_CLASSES[code];
    if (local !== undefined) return classified(local, local);
  }
  return classifyError(error);
}

/** What the SDK answers a handler's throw with: its integer `code`, else -32603 (internal error). */
export function wireCodeOfThrown(error: unknown): number {
  const code = fieldsOf(error)?.code;
  return typeof code === "number" && Number.isSafeInteger(code) ? code : -32603;
}

/** Classifies an error a server handler threw, by the code the SDK will answer with. */
export function classifyServerFailure(error: unknown): McpFailure {
  const code = wireCodeOfThrown(error);
  const byCode = classOfWireCode(code);
  // An internal error says little: an error core recognises (a rate limit, a network failure) says more.
  const errorClass = code === -32603 ? refine(classifyError(error).errorClass) : byCode;
  return classified(errorClass, String(code), code);
}

function refine(found: ErrorClass): ErrorClass {
  return found === "unknown" ? "server_error" : found;
}
