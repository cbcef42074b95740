/**
 * The sending side of one MCP request (a client's `tools/call`, or a server's `sampling/createMessage`): a CLIENT
 * span `{mcp.method.name} {target}`, or, for a `tools/call` that runs directly in an `execute_tool` span of the same
 * tool, that span (one span per tool call). The trace context, baggage and the workflow's deadline and budget are
 * injected into the request's `params._meta`; the outcome is classified when the SDK settles the request.
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import { inject, markKeep, recordError } from "@telltale/core";
import {
  againstDeadline,
  checkIdempotency,
  checkToolTimeout,
  deadlineRemainingMs,
  enclosingToolSpan,
  markDeadlineAtEnd,
  markDeadlineAtStart,
} from "@telltale/core/instrumentation";
import {
  ATTR_ERROR_TYPE,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_TELLTALE_ERROR_CLASS,
  ATTR_TELLTALE_ERROR_RECOVERABLE,
  ATTR_TELLTALE_MCP_PROGRESS_COUNT,
  ATTR_TELLTALE_MCP_PROGRESS_TOTAL,
  ATTR_TELLTALE_MCP_PROGRESS_VALUE,
  ATTR_TELLTALE_SIDE_EFFECT,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  EVENT_TELLTALE_MCP_PROGRESS,
  MCP_METHOD_NAME_VALUE_INITIALIZE,
  MCP_METHOD_NAME_VALUE_TOOLS_CALL,
} from "@telltale/core/attributes";
import { fieldsOf, numberOf, stringOf, type Fields } from "@telltale/instrumentation-common";
import { classifyClientFailure } from "./errors.js";
import { describeRequest, recordToolArguments, recordToolResult, requestIdOf, type RequestDescription } from "./request.js";
import { protocolAttributes, rememberProtocolVersion, sessionIdOf, type ProtocolLike } from "./session.js";
import { metricAttributes, type McpTelemetry } from "./telemetry.js";
import { MCP_DIAG } from "./diag.js";

/** Both SDK majors time a request out after 60 s unless told otherwise. */
export const SDK_DEFAULT_TIMEOUT_MS = 60_000;

/** `execute_tool` spans an MCP call already reported on: a second call in the same span gets its own. */
const claimedToolSpans = new WeakSet<Span>();

/** The request and options objects, as the SDK's request method receives them. */
export interface OutgoingRequest {
  request: unknown;
  options: unknown;
}

/** One traced outgoing request. Built by {@link startClientCall}; the caller swaps in {@link request} and
 * {@link options}, runs the SDK inside {@link context}, then hands the returned promise to {@link observe}. */
export class ClientCall {
  readonly context: Context;
  readonly request: Fields;
  readonly options: unknown;
  private ended = false;
  private progressCount = 0;
  private readonly startedAt = performance.now();
  private requestIdBefore: unknown;

  constructor(
    private readonly telemetry: McpTelemetry,
    private readonly protocol: ProtocolLike,
    private readonly description: RequestDescription,
    private readonly span: Span,
    /** False when the span is another layer's `execute_tool` span: it is not ours to end. */
    private readonly owned: boolean,
    private readonly parent: Context,
    private readonly callerOptions: Fields | undefined,
    request: Fields,
  ) {
    this.context = owned ? trace.setSpan(parent, span) : parent;
    this.request = withInjectedMeta(request, this.context);
    this.options = this.wrapProgress(callerOptions);
    this.requestIdBefore = protocol._requestMessageId;
  }

  /** Watches the SDK's promise until the request settles; the promise itself is left untouched for the caller. */
  observe(result: unknown): void {
    this.recordRequestId();
    if (typeof (result as PromiseLike<unknown> | undefined)?.then !== "function") {
      this.end(undefined, result);
      return;
    }
    (result as PromiseLike<unknown>).then(
      (value) => this.end(undefined, value),
      (error: unknown) => this.end(error, undefined, true),
    );
  }

  /** Ends the call. Never throws. */
  end(error: unknown, value?: unknown, failed = error !== undefined): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.finish(error, value, failed);
    } catch (failure) {
      MCP_DIAG.error("ending an MCP client span failed", failure);
    }
  }

  private finish(error: unknown, value: unknown, failed: boolean): void {
    const { span, description, telemetry } = this;
    const recorded: Attributes = { ...description.attributes };
    protocolAttributes(this.protocol, recorded);
    if (failed) this.recordFailure(error, recorded);
    else if (description.method === MCP_METHOD_NAME_VALUE_TOOLS_CALL) {
      const errorType = recordToolResult(span, telemetry.config.capture, value);
      if (errorType !== undefined) recorded[ATTR_ERROR_TYPE] = errorType;
    } else if (description.method === MCP_METHOD_NAME_VALUE_INITIALIZE) {
      const version = rememberProtocolVersion(this.protocol, value);
      if (version !== undefined) recorded[ATTR_MCP_PROTOCOL_VERSION] = version;
    }
    const sessionId = sessionIdOf(this.protocol);
    if (sessionId !== undefined) span.setAttribute(ATTR_MCP_SESSION_ID, sessionId);
    const version = recorded[ATTR_MCP_PROTOCOL_VERSION];
    if (version !== undefined) span.setAttribute(ATTR_MCP_PROTOCOL_VERSION, version);
    if (this.progressCount > 0) span.setAttribute(ATTR_TELLTALE_MCP_PROGRESS_COUNT, this.progressCount);
    if (telemetry.metricsEnabled) telemetry.clientOperationDuration.record((performance.now() - this.startedAt) / 1000, metricAttributes(recorded));
    if (!this.owned) return;
    markDeadlineAtEnd(span, this.parent);
    span.end();
  }

  private recordFailure(error: unknown, recorded: Attributes): void {
    const aborted = (fieldsOf(this.callerOptions?.signal) as { aborted?: unknown } | undefined)?.aborted === true;
    const failure = againstDeadline(classifyClientFailure(error, aborted), this.parent);
    if (failure.rpcCode !== undefined) {
      this.span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, String(failure.rpcCode));
      recorded[ATTR_RPC_RESPONSE_STATUS_CODE] = String(failure.rpcCode);
    }
    recorded[ATTR_ERROR_TYPE] = failure.errorType;
    if (this.owned) {
      recordError(this.span, error, failure);
      return;
    }
    // The span's owner records the exception itself if it lets the error escape; the MCP facts go on now, so they
    // are there even when the owner catches it.
    this.span.setAttribute(ATTR_ERROR_TYPE, failure.errorType);
    this.span.setAttribute(ATTR_TELLTALE_ERROR_CLASS, failure.errorClass);
    this.span.setAttribute(ATTR_TELLTALE_ERROR_RECOVERABLE, failure.recoverable);
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : failure.errorClass });
    markKeep(this.span, "error");
  }

  private recordRequestId(): void {
    // The SDK numbers requests with a counter it increments once per request sent.
    const before = this.requestIdBefore;
    if (typeof before === "number" && this.protocol._requestMessageId === before + 1) {
      const id = requestIdOf(before);
      if (id !== undefined) this.span.setAttribute(ATTR_JSONRPC_REQUEST_ID, id);
    }
  }

  private wrapProgress(options: Fields | undefined): unknown {
    const onprogress = options?.onprogress;
    if (typeof onprogress !== "function") return options;
    return {
      ...options,
      onprogress: (progress: unknown) => {
        this.onProgress(progress);
        return (onprogress as (progress: unknown) => unknown)(progress);
      },
    };
  }

  private onProgress(progress: unknown): void {
    try {
      this.progressCount += 1;
      if (this.ended || this.progressCount > this.telemetry.config.maxProgressEvents) return;
      const fields = fieldsOf(progress);
      const event: Attributes = {};
      const value = numberOf(fields?.progress);
      const total = numberOf(fields?.total);
      if (value !== undefined) event[ATTR_TELLTALE_MCP_PROGRESS_VALUE] = value;
      if (total !== undefined) event[ATTR_TELLTALE_MCP_PROGRESS_TOTAL] = total;
      this.span.addEvent(EVENT_TELLTALE_MCP_PROGRESS, event);
    } catch (failure) {
      MCP_DIAG.error("recording an MCP progress notification failed", failure);
    }
  }
}

/** The request with the trace context, baggage and Telltale's workflow carrier added to `params._meta` (a copy:
 * the caller's objects are never changed). */
function withInjectedMeta(request: Fields, ctx: Context): Fields {
  const params = fieldsOf(request.params);
  const carrier = inject({}, ctx);
  return { ...request, params: { ...params, _meta: { ...fieldsOf(params?._meta), ...carrier } } };
}

/** The `execute_tool` span of the same tool this call runs directly in, when it may report there. */
function reusableToolSpan(telemetry: McpTelemetry, description: RequestDescription, parent: Context) {
  if (!telemetry.config.reuseToolSpans || description.method !== MCP_METHOD_NAME_VALUE_TOOLS_CALL) return undefined;
  const enclosing = enclosingToolSpan(parent);
  if (enclosing === undefined || enclosing.toolName !== description.toolName || claimedToolSpans.has(enclosing.span)) return undefined;
  claimedToolSpans.add(enclosing.span);
  return enclosing;
}

/** F10: the request's own timeout against the time left before the workflow deadline, as `tool()` checks its own. */
function recordTimeout(span: Span, options: Fields | undefined, parent: Context): void {
  const explicit = numberOf(options?.timeout);
  // The SDK's default timeout only matters against a deadline.
  if (explicit === undefined && deadlineRemainingMs(parent) === undefined) return;
  checkToolTimeout(span, explicit ?? SDK_DEFAULT_TIMEOUT_MS, parent);
}

/** Starts tracing an outgoing request; undefined when it is not one (the SDK then runs untraced). */
export function startClientCall(telemetry: McpTelemetry, protocol: ProtocolLike, outgoing: OutgoingRequest): ClientCall | undefined {
  const request = fieldsOf(outgoing.request);
  const method = stringOf(request?.method);
  if (request === undefined || method === undefined) return undefined;
  const params = fieldsOf(request.params);
  const options = fieldsOf(outgoing.options);
  const description = describeRequest(method, params);
  const parent = context.active();
  const { config } = telemetry;

  const enclosing = reusableToolSpan(telemetry, description, parent);
  let span: Span;
  if (enclosing !== undefined) {
    span = enclosing.span;
    const attributes: Attributes = { ...description.attributes };
    protocolAttributes(protocol, attributes);
    span.setAttributes(attributes);
  } else {
    const attributes: Attributes = { ...description.attributes };
    protocolAttributes(protocol, attributes);
    span = telemetry.tracer.startSpan(description.spanName, { kind: SpanKind.CLIENT, attributes }, parent);
    markDeadlineAtStart(span, parent);
  }

  const toolName = description.toolName;
  if (method === MCP_METHOD_NAME_VALUE_TOOLS_CALL && toolName !== undefined) {
    // A reused span whose owner declared the tool's own timeout keeps it: that is the bound it set for the call.
    if (enclosing?.attributes[ATTR_TELLTALE_TOOL_TIMEOUT_MS] === undefined) recordTimeout(span, options, parent);
    // A reused span whose owner already ran the checks (core's tool() with sideEffect) must not run them twice.
    const checkedAlready = enclosing?.attributes[ATTR_TELLTALE_SIDE_EFFECT] !== undefined;
    if (!checkedAlready && config.isSideEffect(toolName, description.toolArguments)) {
      const idempotencyKey = config.idempotencyKeyOf(toolName, description.toolArguments);
      checkIdempotency(span, toolName, idempotencyKey === undefined ? { sideEffect: true } : { sideEffect: true, idempotencyKey }, parent);
    }
    recordToolArguments(span, config.capture, description.toolArguments);
  }
  return new ClientCall(telemetry, protocol, description, span, enclosing === undefined, parent, options, request);
}
