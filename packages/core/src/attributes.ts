/**
 * Every attribute, event and metric name Telltale writes, in one place.
 *
 * Standard names come from the OpenTelemetry semantic conventions (`gen_ai.*` from the GenAI conventions,
 * `error.type`, `server.*`, `http.*`, `messaging.*`; the unstable ones by way of `semconv.ts`, which copies them)
 * and are re-exported here so that the rest of the code base imports every name from this one module. Telltale's
 * own names live under `telltale.` and exist only where no convention covers the signal (retries inside one call,
 * step manifests, budgets, late work, idempotency).
 *
 * Nothing outside this module (and `semconv.ts`, its copy of the unstable conventions) may spell an attribute name
 * as a string literal.
 */
import { GEN_AI_OPERATION_NAME_VALUE_CHAT } from "./semconv.js";

// ---------------------------------------------------------------------------------------------------------------
// Standard names (OpenTelemetry semantic conventions), re-exported so that nothing else imports them directly: the
// stable ones from the semantic-conventions package, the unstable ones from core's copy of them (semconv.ts).
// ---------------------------------------------------------------------------------------------------------------

export {
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_TYPE,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  NETWORK_TRANSPORT_VALUE_PIPE,
  NETWORK_TRANSPORT_VALUE_TCP,
} from "@opentelemetry/semantic-conventions";
export * from "./semconv.js";

/** `error.type` of an MCP tool call whose `CallToolResult` has `isError: true` (MCP semantic conventions). */
export const ERROR_TYPE_VALUE_TOOL_ERROR = "tool_error";

/** `gen_ai.operation.name` for the Responses API (GenAI semconv: `generate_content` is for multimodal output; the
 * Responses API is a chat-style call, recorded as `chat`). */
export const GEN_AI_OPERATION_NAME_VALUE_RESPONSES = GEN_AI_OPERATION_NAME_VALUE_CHAT;

// ---------------------------------------------------------------------------------------------------------------
// Telltale's own attributes (`telltale.*`).
// ---------------------------------------------------------------------------------------------------------------

/** boolean. Set on any span where Telltale already knows the trace is worth keeping (an error, a soft error, a
 * retry, an exceeded budget …). Tail samplers keep every trace that carries it. */
export const ATTR_TELLTALE_KEEP = "telltale.keep";
/** string[]. Why `telltale.keep` was set: values of {@link KeepReason}. */
export const ATTR_TELLTALE_KEEP_REASONS = "telltale.keep.reasons";

/** int. How many times the operation was retried (attempts minus one), SDK-internal or app-level. Left out when the
 * only attempt succeeded (as the HTTP semantic conventions do for `http.request.resend_count`, which LLM call spans
 * carry alongside). */
export const ATTR_TELLTALE_RETRY_COUNT = "telltale.retry.count";
/** string[]. The error class (see {@link ErrorClass}) that caused each retry, in order. */
export const ATTR_TELLTALE_RETRY_REASONS = "telltale.retry.reasons";
/** int. Total milliseconds spent waiting between attempts (backoff and `retry-after`), a wait the deadline cut
 * short included. */
export const ATTR_TELLTALE_RETRY_WAIT_MS = "telltale.retry.wait_ms";
/** boolean. A retried attempt ran with arguments different from the first attempt (the "slot machine", F7). */
export const ATTR_TELLTALE_RETRY_ARGS_CHANGED = "telltale.retry.args_changed";
/** string. The name of an app-level `retry()` (its span is `retry {name}`); also on its `telltale.retries` metric. */
export const ATTR_TELLTALE_RETRY_NAME = "telltale.retry.name";
/** boolean. A non-recoverable error (context length, auth, invalid request …) was retried anyway (F3). */
export const ATTR_TELLTALE_RETRY_NON_RECOVERABLE = "telltale.retry.non_recoverable";
/** int[]. The HTTP status code of each attempt inside one SDK call, in order (0 where no response arrived). A call
 * whose only attempt succeeded leaves it out (it would only say `[200]`). */
export const ATTR_TELLTALE_ATTEMPT_STATUS_CODES = "telltale.attempt.status_codes";
/** string[]. The error class of each attempt inside one call, in order (`ok` for a successful one). An operation
 * whose only attempt succeeded leaves it out (it would only say `["ok"]`). */
export const ATTR_TELLTALE_ATTEMPT_ERROR_CLASSES = "telltale.attempt.error_classes";
/** int[]. Milliseconds waited before each attempt, in order (0 for the first). When the deadline cut a wait for
 * another attempt short, that wait ends the list, as long as it really lasted. An operation whose only attempt
 * succeeded leaves it out (it would only say `[0]`). */
export const ATTR_TELLTALE_ATTEMPT_WAITS_MS = "telltale.attempt.waits_ms";
/** int. On a `telltale.attempt` event: the 1-based attempt number. */
export const ATTR_TELLTALE_ATTEMPT_NUMBER = "telltale.attempt.number";
/** int. On a `telltale.attempt` event: milliseconds waited before this attempt. */
export const ATTR_TELLTALE_ATTEMPT_WAIT_MS = "telltale.attempt.wait_ms";
/** int. On a `telltale.attempt` event: how long the attempt itself took, in milliseconds. */
export const ATTR_TELLTALE_ATTEMPT_DURATION_MS = "telltale.attempt.duration_ms";
/** string. On a `telltale.attempt` event: the attempt's error class (one of {@link ErrorClass}, or `ok`). A name of
 * its own, not `telltale.error.class`: backends that search span events too (Jaeger's tag search) would otherwise
 * return a call that recovered after a 429 for `telltale.error.class=rate_limit`, which is meant to find failed
 * spans only. */
export const ATTR_TELLTALE_ATTEMPT_ERROR_CLASS = "telltale.attempt.error_class";
/** string. A cheap, stable fingerprint of an attempt's arguments (never the arguments themselves). */
export const ATTR_TELLTALE_ARGS_FINGERPRINT = "telltale.args.fingerprint";

/** string. The error class of a span that failed, one of {@link ErrorClass}. Set with the standard `error.type`, and
 * only on failed spans (attempt events use `telltale.attempt.error_class`). */
export const ATTR_TELLTALE_ERROR_CLASS = "telltale.error.class";
/** boolean. Whether retrying the same request can succeed (false for context length, auth, invalid request …). */
export const ATTR_TELLTALE_ERROR_RECOVERABLE = "telltale.error.recoverable";

/** string. A failure that raised nothing: one of {@link SoftErrorKind}. */
export const ATTR_TELLTALE_SOFT_ERROR = "telltale.soft_error";
/** string. A short, human-readable detail of the soft error (e.g. the finish reason or the refusal's first words). */
export const ATTR_TELLTALE_SOFT_ERROR_DETAIL = "telltale.soft_error.detail";

/** string[]. The steps a workflow declared it would run. */
export const ATTR_TELLTALE_WORKFLOW_STEPS_EXPECTED = "telltale.workflow.steps.expected";
/** string[]. The declared steps that completed successfully. */
export const ATTR_TELLTALE_WORKFLOW_STEPS_COMPLETED = "telltale.workflow.steps.completed";
/** string[]. The declared steps that did not complete. */
export const ATTR_TELLTALE_WORKFLOW_STEPS_MISSING = "telltale.workflow.steps.missing";
/** string[]. Steps that ran but were not declared. */
export const ATTR_TELLTALE_WORKFLOW_STEPS_UNDECLARED = "telltale.workflow.steps.undeclared";
/** string. `ok`, `error`, `partial` (declared steps missing, or the run stopped short, although no error escaped) or
 * `interrupted` (the run paused for input, e.g. a LangGraph `interrupt()`, and can be resumed: not a failure). */
export const ATTR_TELLTALE_WORKFLOW_OUTCOME = "telltale.workflow.outcome";
/** int. On a workflow span: how many steps, tools, spawned tasks and nested workflows it started were still running
 * when it ended. Their results arrive late (F11), so the workflow is marked kept (reason `late`) and the late spans
 * join a kept trace. Absent when nothing was left running. */
export const ATTR_TELLTALE_WORKFLOW_PENDING_TASKS = "telltale.workflow.pending_tasks";
/** string. The name of a step span's step. */
export const ATTR_TELLTALE_STEP_NAME = "telltale.step.name";
/** boolean. The step or workflow paused for input (a human-in-the-loop interrupt) instead of finishing; it is not a
 * failure, and the run goes on when resumed, possibly in another process (F14). */
export const ATTR_TELLTALE_INTERRUPTED = "telltale.interrupted";

/** int. The workflow's token limit: on the workflow span, on the span where the budget was crossed, and on a span that continues the workflow in another process (an MCP server span); not on every LLM call, which carries the running totals. */
export const ATTR_TELLTALE_BUDGET_TOKENS_LIMIT = "telltale.budget.tokens.limit";
/** int. Tokens used so far in the trace when this span ended (running total); not on an LLM call that is its own trace. */
export const ATTR_TELLTALE_BUDGET_TOKENS_USED = "telltale.budget.tokens.used";
/** double. The workflow's cost limit in US dollars, on the same spans as the token limit. */
export const ATTR_TELLTALE_BUDGET_COST_USD_LIMIT = "telltale.budget.cost_usd.limit";
/** double. Cost in US dollars so far in the trace when this span ended (running total); not on an LLM call that is its own trace. */
export const ATTR_TELLTALE_BUDGET_COST_USD_USED = "telltale.budget.cost_usd.used";
/** boolean. The budget was exceeded (on the span where it crossed, and on the workflow span). */
export const ATTR_TELLTALE_BUDGET_EXCEEDED = "telltale.budget.exceeded";
/** string. `observe` (record only) or `enforce` (refuse further LLM calls). */
export const ATTR_TELLTALE_BUDGET_MODE = "telltale.budget.mode";
/** double. The cost in US dollars of one LLM call, from the price table. */
export const ATTR_TELLTALE_USAGE_COST_USD = "telltale.usage.cost_usd";
/** string[]. On an LLM call span: the names of the tools the model asked to call, in order (never their
 * arguments, which are content and go to `gen_ai.output.messages` only when content capture is on). */
export const ATTR_TELLTALE_RESPONSE_TOOL_CALL_NAMES = "telltale.response.tool_calls.names";
/** string[]. On an LLM call span: the ids of the tool calls the model asked for, in the same order as the names. */
export const ATTR_TELLTALE_RESPONSE_TOOL_CALL_IDS = "telltale.response.tool_calls.ids";

/** int. Milliseconds left before the workflow deadline when this span started. */
export const ATTR_TELLTALE_DEADLINE_REMAINING_MS = "telltale.deadline.remaining_ms";
/** boolean. The workflow deadline passed during or before this span. */
export const ATTR_TELLTALE_DEADLINE_EXCEEDED = "telltale.deadline.exceeded";
/** int. A tool's own timeout in milliseconds. */
export const ATTR_TELLTALE_TOOL_TIMEOUT_MS = "telltale.tool.timeout_ms";
/** boolean. A tool's own timeout is longer than the time left before the workflow deadline (F10). */
export const ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING = "telltale.deadline.timeout_exceeds_remaining";

/** boolean. The span ended after the span that started it had ended (its result arrived late, F11). */
export const ATTR_TELLTALE_LATE = "telltale.late";
/** int. How many milliseconds after its parent ended the late span ended. */
export const ATTR_TELLTALE_LATE_BY_MS = "telltale.late.by_ms";
/** boolean. The work ran with no workflow in its context (F12). */
export const ATTR_TELLTALE_ORPHAN = "telltale.orphan";
/** boolean. The span belongs to fire-and-forget work started with `spawn`. */
export const ATTR_TELLTALE_SPAWNED = "telltale.spawned";
/** boolean. Fire-and-forget work rejected and nobody awaited it (recorded instead of lost, F12). */
export const ATTR_TELLTALE_UNHANDLED_REJECTION = "telltale.unhandled_rejection";

/** boolean. The tool has side effects (writes, sends, charges). */
export const ATTR_TELLTALE_SIDE_EFFECT = "telltale.side_effect";
/** string. The idempotency key a side-effecting tool ran with. */
export const ATTR_TELLTALE_IDEMPOTENCY_KEY = "telltale.idempotency.key";
/** boolean. A side-effecting tool ran without an idempotency key. */
export const ATTR_TELLTALE_IDEMPOTENCY_MISSING = "telltale.idempotency.missing";
/** boolean. The same side effect (same tool and idempotency key) ran again in the same trace (F8). */
export const ATTR_TELLTALE_DUPLICATE = "telltale.duplicate";

/** int. On an MCP request span: how many progress notifications the request received (its `telltale.mcp.progress`
 * events stop at a bound; this count does not). */
export const ATTR_TELLTALE_MCP_PROGRESS_COUNT = "telltale.mcp.progress.count";
/** double. On a `telltale.mcp.progress` event: the progress the server reported. */
export const ATTR_TELLTALE_MCP_PROGRESS_VALUE = "telltale.mcp.progress.value";
/** double. On a `telltale.mcp.progress` event: the total the server reported, when it knows one. */
export const ATTR_TELLTALE_MCP_PROGRESS_TOTAL = "telltale.mcp.progress.total";

/** string[]. On a trace's root span, set by the sampler: why the trace was kept. */
export const ATTR_TELLTALE_SAMPLING_REASONS = "telltale.sampling.reasons";

// ---------------------------------------------------------------------------------------------------------------
// Event names.
// ---------------------------------------------------------------------------------------------------------------

/** One HTTP attempt inside an SDK call, or one app-level retry attempt: its number, wait, error class, status and
 * duration. An operation whose only attempt succeeded (and that ended without an error or soft error) has none: its
 * span already says all the event would. */
export const EVENT_TELLTALE_ATTEMPT = "telltale.attempt";
/** The budget crossed its limit at this point. */
export const EVENT_TELLTALE_BUDGET_EXCEEDED = "telltale.budget.exceeded";
/** One MCP progress notification (`notifications/progress`) for a request, on that request's span (bounded). */
export const EVENT_TELLTALE_MCP_PROGRESS = "telltale.mcp.progress";

// ---------------------------------------------------------------------------------------------------------------
// Metric names (besides the GenAI client metrics re-exported above).
// ---------------------------------------------------------------------------------------------------------------

/** Counter: retries, by the reason (`telltale.error.class` of the attempt that was retried) and the operation:
 * `gen_ai.operation.name` for an LLM call's SDK-internal retries, `telltale.retry.name` for `retry()`. */
export const METRIC_TELLTALE_RETRIES = "telltale.retries";
/** Counter: soft errors, by `telltale.soft_error`. */
export const METRIC_TELLTALE_SOFT_ERRORS = "telltale.soft_errors";
/** Counter: budget exceedances. */
export const METRIC_TELLTALE_BUDGET_EXCEEDED = "telltale.budget.exceedances";
/** Counter: late results. */
export const METRIC_TELLTALE_LATE_RESULTS = "telltale.late_results";
/** Counter: spans the in-process sampler dropped or lost, by `telltale.sampler.drop_reason`. */
export const METRIC_TELLTALE_SAMPLER_DROPPED = "telltale.sampler.dropped";
/** Counter: traces the in-process sampler decided to keep, by `telltale.sampler.keep_reason` (a trace kept for two
 * reasons counts under both). */
export const METRIC_TELLTALE_SAMPLER_KEPT = "telltale.sampler.kept";
/** Counter: kept traces the exporter took whole, by `telltale.sampler.keep_reason`. */
export const METRIC_TELLTALE_SAMPLER_EXPORTED = "telltale.sampler.exported";
/** Counter: kept traces lost before the exporter took them whole, by `telltale.sampler.keep_reason` and
 * `telltale.sampler.drop_reason`. */
export const METRIC_TELLTALE_SAMPLER_LOST = "telltale.sampler.lost";
/** string. On sampler metrics: why spans were dropped or lost (`sampled_out`, `overflow`, `exporter_failed`, …). */
export const ATTR_TELLTALE_SAMPLER_DROP_REASON = "telltale.sampler.drop_reason";
/** string. On sampler trace metrics: one reason the trace was kept (a value of `telltale.sampling.reasons`). */
export const ATTR_TELLTALE_SAMPLER_KEEP_REASON = "telltale.sampler.keep_reason";

// ---------------------------------------------------------------------------------------------------------------
// Value sets.
// ---------------------------------------------------------------------------------------------------------------

/** Error classes written to `telltale.error.class` (and, for errors without a type name, to `error.type`). */
export const ERROR_CLASSES = [
  "rate_limit",
  "quota_exceeded",
  "context_length_exceeded",
  "content_filter",
  "invalid_request",
  "auth",
  "not_found",
  "timeout",
  "overloaded",
  "server_error",
  "connection",
  "aborted",
  "budget_exceeded",
  "deadline_exceeded",
  "guardrail_tripwire",
  "unknown",
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Soft-error kinds written to `telltale.soft_error`: failures that raised nothing. */
export const SOFT_ERROR_KINDS = [
  "truncated",
  "content_filter",
  "refusal",
  "empty_output",
  "error_payload",
  "incomplete",
  "empty_tool_result",
  "tool_is_error",
  "stream_aborted",
  "stream_incomplete",
] as const;
export type SoftErrorKind = (typeof SOFT_ERROR_KINDS)[number];

/** Values of `telltale.workflow.outcome`. */
export const WORKFLOW_OUTCOMES = ["ok", "error", "partial", "interrupted"] as const;
export type WorkflowOutcome = (typeof WORKFLOW_OUTCOMES)[number];

/** Values of `telltale.keep.reasons` and `telltale.sampling.reasons`. */
export const KEEP_REASONS = [
  "error",
  "soft_error",
  "retried",
  "non_recoverable_retry",
  "budget_exceeded",
  "deadline_exceeded",
  "partial",
  "late",
  "orphan",
  "duplicate",
  "idempotency_missing",
  "args_changed",
  "slow",
  "keep",
  "baseline",
] as const;
export type KeepReason = (typeof KEEP_REASONS)[number];
