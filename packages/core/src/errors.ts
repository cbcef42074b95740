import type { ErrorClass } from "./attributes.js";

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
  constructor(readonly deadlineMs: number) {
    super(`Telltale workflow deadline of ${deadlineMs} ms exceeded`);
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

// Provider error codes/types (OpenAI `code`/`type`, Anthropic `error.error.type`) that decide the class on their own.
const CODE_CLASSES: Readonly<Record<string, ErrorClass>> = {
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
};

// Error class names from the Stainless-generated SDKs (openai, @anthropic-ai/sdk), the OpenAI Agents SDK, DOM/undici and
// Node.
const NAME_CLASSES: Readonly<Record<string, ErrorClass>> = {
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
};

// Node and undici network error codes (found on the error or on its `cause`, e.g. fetch's "fetch failed" TypeError).
const NETWORK_CODE_CLASSES: Readonly<Record<string, ErrorClass>> = {
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
const GENERIC_NAMES = new Set([
  "",
  "Error",
  "Object",
  "TypeError",
  "DOMException",
  "APIError",
  "OpenAIError",
  "AnthropicError",
  "SystemError",
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
const CONTEXT_LENGTH_MESSAGE = new RegExp(
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

type Bag = Record<string, unknown>;

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

/** Provider codes and types, most specific first (`code` names the problem, `type` its family). */
function providerCodes(bag: Bag): string[] {
  const body = asBag(bag.error);
  const nested = asBag(body?.error);
  const codes = [bag.code, body?.code, nested?.code, nested?.type, body?.type, bag.type];
  return codes.map(stringField).filter((code): code is string => code !== undefined);
}

function nameOf(bag: Bag): string {
  const own = stringField(bag.name);
  if (own && own !== "Error") return own;
  const constructorName = typeof bag.constructor === "function" ? bag.constructor.name : undefined;
  return stringField(constructorName) ?? own ?? "";
}

function messageOf(bag: Bag): string {
  const body = asBag(bag.error);
  return [bag.message, body?.message, asBag(body?.error)?.message].filter((m) => typeof m === "string").join(" ");
}

/** Walks `err`, `err.cause`, `err.cause.cause` … (bounded) looking for a Node/undici network error code. */
function networkClass(bag: Bag): ErrorClass | undefined {
  let current: Bag | undefined = bag;
  for (let depth = 0; current !== undefined && depth < 4; depth += 1) {
    const code = stringField(current.code);
    if (code !== undefined) {
      const known = NETWORK_CODE_CLASSES[code];
      if (known !== undefined) return known;
      if (code.startsWith("UND_ERR_")) return "connection";
    }
    const errno = stringField(current.errno);
    if (errno !== undefined && NETWORK_CODE_CLASSES[errno] !== undefined) return NETWORK_CODE_CLASSES[errno];
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
    const known = CODE_CLASSES[code];
    if (known === undefined) continue;
    // `invalid_request_error` is a family: the message tells a context-length overflow apart.
    if (known === "invalid_request" && CONTEXT_LENGTH_MESSAGE.test(message)) return "context_length_exceeded";
    return known;
  }

  const byName = NAME_CLASSES[name];
  // The SDKs' 400 class also carries context-length errors; a message decides.
  if (byName === "invalid_request" && CONTEXT_LENGTH_MESSAGE.test(message)) return "context_length_exceeded";
  if (byName !== undefined) return byName;

  if (status !== undefined) {
    const byStatus = classFromStatus(status, message);
    if (byStatus !== undefined) return byStatus;
  }

  return networkClass(bag) ?? "unknown";
}

/**
 * Maps an error from the `openai` or `@anthropic-ai/sdk` SDKs (duck-typed, no dependency on either), an HTTP
 * status, a Node/undici network error, an AbortError/TimeoutError or one of Telltale's own errors to an error class
 * and whether it is worth retrying (F2, F3). Never throws.
 */
export function classifyError(err: unknown): ErrorClassification {
  try {
    const bag = asBag(err);
    if (bag === undefined) return { errorClass: "unknown", recoverable: false, errorType: "unknown" };
    const name = nameOf(bag);
    const statusCode = statusOf(bag);
    const errorClass = classify(bag, name, statusCode);
    const errorType = GENERIC_NAMES.has(name) ? errorClass : name;
    const result: ErrorClassification = { errorClass, recoverable: isRecoverable(errorClass), errorType };
    if (statusCode !== undefined) result.statusCode = statusCode;
    return result;
  } catch {
    // A hostile getter on the error object: classification must never throw into user code.
    return { errorClass: "unknown", recoverable: false, errorType: "unknown" };
  }
}
