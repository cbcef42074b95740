import type { ErrorClass } from "./attributes.js";
import {
  CODE_CLASSES,
  CONTEXT_LENGTH_MESSAGE,
  GENERIC_NAMES,
  JSON_RPC_CODE_CLASSES,
  JSON_RPC_RESERVED_MAX,
  JSON_RPC_RESERVED_MIN,
  JSON_RPC_SERVER_ERROR_MIN,
  MCP_LOCAL_CODE_CLASSES,
  NAME_CLASSES,
  NETWORK_CODE_CLASSES,
} from "./error-codes.js";

/** What {@link classifyError} found out about an error. */
export interface ErrorClassification {
  /** The Telltale error class (`telltale.error.class`). */
  errorClass: ErrorClass;
  /** Whether sending the same request again can succeed (`telltale.error.recoverable`). */
  recoverable: boolean;
  /** Low-cardinality `error.type`: the error's class name when it is specific (`RateLimitError`), else `errorClass`. */
  errorType: string;
  /** The HTTP status code the error carried, if any. */
  statusCode?: number;
  /** The JSON-RPC error code a peer answered with (`rpc.response.status_code`; an MCP server's error), if any. */
  rpcCode?: number;
}

// Brands survive the dual package hazard: an error thrown by the CJS copy of core is still recognised by the ESM copy.
const BUDGET_BRAND = Symbol.for("telltale.core.BudgetExceededError");
const DEADLINE_BRAND = Symbol.for("telltale.core.DeadlineExceededError");

/** Which limit a {@link BudgetExceededError} refers to. */
export type BudgetLimitKind = "tokens" | "cost_usd";

/** Thrown (in `enforce` mode) or returned by `budgetCheck` when the trace's token or cost budget is used up (F9). */
export class BudgetExceededError extends Error {
  override readonly name = "BudgetExceededError";
  readonly [BUDGET_BRAND] = true;
  constructor(
    readonly limitKind: BudgetLimitKind,
    readonly limit: number,
    readonly used: number,
  ) {
    super(`Telltale budget exceeded: ${limitKind} used ${used} > limit ${limit}`);
  }
  /** Recognises the error from either the ESM or the CJS copy of core. */
  static is(value: unknown): value is BudgetExceededError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BUDGET_BRAND] === true;
  }
}

/** The workflow deadline passed; it is the `reason` of the `AbortSignal` core hands to user code (F10). */
export class DeadlineExceededError extends Error {
  override readonly name = "DeadlineExceededError";
  readonly [DEADLINE_BRAND] = true;
  /** `options.cause`: the error the deadline showed up as, when something else enforced it (a framework's timeout). */
  constructor(
    readonly deadlineMs: number,
    options?: ErrorOptions,
  ) {
    super(`Telltale workflow deadline of ${deadlineMs} ms exceeded`, options);
  }
  /** Recognises the error from either the ESM or the CJS copy of core. */
  static is(value: unknown): value is DeadlineExceededError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[DEADLINE_BRAND] === true;
  }
}

const RECOVERABLE: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
  "rate_limit",
  "timeout",
  "overloaded",
  "server_error",
  "connection",
]);

/** Whether an error of this class can succeed when the same request is sent again. */
export function isRecoverable(errorClass: ErrorClass): boolean {
  return RECOVERABLE.has(errorClass);
}

type Bag = Record<string, unknown>;

/** `table[key]` when the table itself lists `key` (never an inherited `constructor` or `toString`). */
function lookup(table: Readonly<Record<string, ErrorClass>>, key: string): ErrorClass | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function asBag(value: unknown): Bag | undefined {
  return typeof value === "object" && value !== null ? (value as Bag) : undefined;
}

function stringField(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

function statusOf(bag: Bag): number | undefined {
  for (const candidate of [bag.status, bag.statusCode, asBag(bag.response)?.status]) {
    if (typeof candidate === "number" && Number.isInteger(candidate) && candidate >= 100 && candidate < 600) {
      return candidate;
    }
  }
  return undefined;
}

/** The provider's parsed error body: the SDKs' `error`, or the AI SDK's `APICallError.data`. */
function bodyOf(bag: Bag): Bag | undefined {
  return asBag(bag.error) ?? asBag(bag.data);
}

/** Provider codes and types, most specific first (`code` names the problem, `type` its family). */
function providerCodes(bag: Bag): string[] {
  const body = bodyOf(bag);
  const nested = asBag(body?.error);
  const codes = [bag.code, body?.code, nested?.code, nested?.type, body?.type, bag.type];
  return codes.map(stringField).filter((code): code is string => code !== undefined);
}

/** The JSON-RPC error code of `bag` (an integer in JSON-RPC's reserved range), if it carries one. */
function jsonRpcCodeOf(bag: Bag): number | undefined {
  const code = bag.code;
  return typeof code === "number" && Number.isInteger(code) && code >= JSON_RPC_RESERVED_MIN && code <= JSON_RPC_RESERVED_MAX ? code : undefined;
}

function classFromJsonRpcCode(code: number): ErrorClass {
  return MCP_LOCAL_CODE_CLASSES.get(code) ?? JSON_RPC_CODE_CLASSES.get(code) ?? (code >= JSON_RPC_SERVER_ERROR_MIN ? "server_error" : "unknown");
}

/** Whether `bag` carries the other side's answer: an HTTP status, a provider code core knows, or a JSON-RPC code. */
function carriesAnswer(bag: Bag): boolean {
  return statusOf(bag) !== undefined || jsonRpcCodeOf(bag) !== undefined || providerCodes(bag).some((code) => lookup(CODE_CLASSES, code) !== undefined);
}

/** How far down `cause` chains (and retry wrappers) classification looks. */
const MAX_WRAPPER_DEPTH = 4;

/**
 * The error whose fields decide the classification. A retry wrapper is decided by its last attempt's error (the AI
 * SDK's `AI_RetryError.lastError`). An error that carries no answer of its own (a framework's wrapper, such as
 * LangChain's `ContextOverflowError` around the `openai` SDK's 400) is decided by the first error down its `cause`
 * chain that does. Otherwise the error itself.
 */
function decisiveError(bag: Bag): Bag {
  let own = bag;
  for (let depth = 0; depth < MAX_WRAPPER_DEPTH && own.name === "AI_RetryError"; depth += 1) {
    const last = asBag(own.lastError);
    if (last === undefined) break;
    own = last;
  }
  if (carriesAnswer(own)) return own;
  let cause = asBag(own.cause);
  for (let depth = 0; cause !== undefined && depth < MAX_WRAPPER_DEPTH; depth += 1) {
    if (carriesAnswer(cause)) return cause;
    cause = asBag(cause.cause);
  }
  return own;
}

function nameOf(bag: Bag): string {
  const own = stringField(bag.name);
  if (own && own !== "Error") return own;
  const constructorName = typeof bag.constructor === "function" ? bag.constructor.name : undefined;
  return stringField(constructorName) ?? own ?? "";
}

function messageOf(bag: Bag): string {
  const body = bodyOf(bag);
  return [bag.message, body?.message, asBag(body?.error)?.message].filter((m) => typeof m === "string").join(" ");
}

/** Walks `err`, `err.cause`, `err.cause.cause` … (bounded) looking for a Node/undici network error code. */
function networkClass(bag: Bag): ErrorClass | undefined {
  let current: Bag | undefined = bag;
  for (let depth = 0; current !== undefined && depth < 4; depth += 1) {
    const code = stringField(current.code);
    if (code !== undefined) {
      const known = lookup(NETWORK_CODE_CLASSES, code);
      if (known !== undefined) return known;
      if (code.startsWith("UND_ERR_")) return "connection";
    }
    const errno = stringField(current.errno);
    const byErrno = errno === undefined ? undefined : lookup(NETWORK_CODE_CLASSES, errno);
    if (byErrno !== undefined) return byErrno;
    current = asBag(current.cause);
  }
  return undefined;
}

function classFromStatus(status: number, message: string): ErrorClass | undefined {
  if (status === 429) return "rate_limit";
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not_found";
  if (status === 408) return "timeout";
  // 409 is a transient lock conflict on the provider side; both SDKs retry it.
  if (status === 409) return "server_error";
  if (status === 413) return "invalid_request";
  if (status === 400 || status === 422) return CONTEXT_LENGTH_MESSAGE.test(message) ? "context_length_exceeded" : "invalid_request";
  if (status === 529) return "overloaded";
  if (status >= 500) return "server_error";
  return undefined;
}

function classify(bag: Bag, name: string, status: number | undefined): ErrorClass {
  if (BudgetExceededError.is(bag) || name === "BudgetExceededError") return "budget_exceeded";
  if (DeadlineExceededError.is(bag) || name === "DeadlineExceededError") return "deadline_exceeded";

  const message = messageOf(bag);
  const codes = providerCodes(bag);
  for (const code of codes) {
    const known = lookup(CODE_CLASSES, code);
    if (known === undefined) continue;
    // `invalid_request_error` is a family: the message tells a context-length overflow apart.
    if (known === "invalid_request" && CONTEXT_LENGTH_MESSAGE.test(message)) return "context_length_exceeded";
    return known;
  }

  const byName = lookup(NAME_CLASSES, name);
  // The SDKs' 400 class also carries context-length errors; a message decides.
  if (byName === "invalid_request" && CONTEXT_LENGTH_MESSAGE.test(message)) return "context_length_exceeded";
  if (byName !== undefined) return byName;

  const rpcCode = jsonRpcCodeOf(bag);
  if (rpcCode !== undefined) return classFromJsonRpcCode(rpcCode);

  if (status !== undefined) {
    const byStatus = classFromStatus(status, message);
    if (byStatus !== undefined) return byStatus;
  }

  // The AI SDK marks a request that failed on its way (a network failure it wraps) retryable, with no status.
  return networkClass(bag) ?? (bag.isRetryable === true ? "connection" : "unknown");
}

/**
 * Maps an error to an error class and whether it is worth retrying (F2, F3), all duck-typed (no dependency on any
 * SDK): the `openai` and `@anthropic-ai/sdk` errors, the AI SDK's `APICallError` (its `statusCode`, its provider
 * error body in `data`, `isRetryable`) and `RetryError` (by its `lastError`), JSON-RPC and MCP errors (their `code`),
 * an HTTP status, a Node/undici network error, an AbortError/TimeoutError, Telltale's own errors, and a wrapper of
 * any of these (by its `cause`). `errorType` is the deciding error's class name when it is specific, the JSON-RPC
 * code of a peer's answer (as the MCP conventions name it), else the class. Never throws.
 */
export function classifyError(err: unknown): ErrorClassification {
  try {
    const given = asBag(err);
    if (given === undefined) return { errorClass: "unknown", recoverable: false, errorType: "unknown" };
    const bag = decisiveError(given);
    const name = nameOf(bag);
    const statusCode = statusOf(bag);
    const errorClass = classify(bag, name, statusCode);
    const jsonRpcCode = jsonRpcCodeOf(bag);
    const rpcCode = jsonRpcCode === undefined || MCP_LOCAL_CODE_CLASSES.has(jsonRpcCode) ? undefined : jsonRpcCode;
    const errorType = rpcCode !== undefined ? String(rpcCode) : GENERIC_NAMES.has(name) ? errorClass : name;
    const result: ErrorClassification = { errorClass, recoverable: isRecoverable(errorClass), errorType };
    if (statusCode !== undefined) result.statusCode = statusCode;
    if (rpcCode !== undefined) result.rpcCode = rpcCode;
    return result;
  } catch {
    // A hostile getter on the error object: classification must never throw into user code.
    return { errorClass: "unknown", recoverable: false, errorType: "unknown" };
  }
}
