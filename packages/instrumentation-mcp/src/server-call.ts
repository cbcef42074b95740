/**
 * The receiving side of one MCP request (a server's `tools/call`, or a client answering `sampling/createMessage`):
 * a SERVER span `{mcp.method.name} {target}`, the child of the sender's span found in `params._meta` (linked to the
 * transport's own context where that differs), in the sender's workflow: its deadline and budget apply here. A
 * result that comes after the sender gave up (`notifications/cancelled`, or the connection closed) is late (F11).
 */
import { context, SpanKind, trace, type Attributes, type Context, type Link, type SpanContext } from "@opentelemetry/api";
import { extract, recordError } from "@telltale/core";
import {
  inWorkflow,
  markDeadlineAtEnd,
  markDeadlineAtStart,
  markLateResult,
  writeBudgetTotals,
} from "@telltale/core/instrumentation";
import {
  ATTR_ERROR_TYPE,
  ATTR_JSONRPC_PROTOCOL_VERSION,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  MCP_METHOD_NAME_VALUE_INITIALIZE,
  MCP_METHOD_NAME_VALUE_TOOLS_CALL,
} from "@telltale/core/attributes";
import { fieldsOf, stringOf, type Fields } from "@telltale/instrumentation-common";
import { classifyServerFailure } from "./errors.js";
import { describeRequest, recordToolArguments, recordToolResult, requestIdOf, type RequestDescription } from "./request.js";
import { protocolAttributes, rememberProtocolVersion, sessionIdOf, type ProtocolLike } from "./session.js";
import { metricAttributes, type McpTelemetry } from "./telemetry.js";
import { MCP_DIAG } from "./diag.js";

/** A request handler as the SDK stores it: `(request, extra)` in v1, `(request, ctx)` in v2. */
export type StoredHandler = (request: unknown, extra: unknown) => unknown;

const TRACED = Symbol.for("telltale.mcp.tracedHandler");
/** The W3C Trace Context field (SEP-414 keeps it unprefixed in `_meta`). */
const TRACEPARENT = "traceparent";

/** What a handler's second argument says about the request: v1 `extra`, or v2 `ctx.mcpReq`. */
interface HandlerExtra {
  readonly signal: AbortSignal | undefined;
  readonly sessionId: unknown;
}

function readExtra(extra: unknown): HandlerExtra {
  const fields = fieldsOf(extra);
  const mcpReq = fieldsOf(fields?.mcpReq);
  const signal = mcpReq?.signal ?? fields?.signal;
  return { signal: signal instanceof AbortSignal ? signal : undefined, sessionId: fields?.sessionId };
}

/**
 * The trace carrier in `params._meta`: its string entries only. An entry that looks like JSON (Telltale's workflow
 * carrier) but does not parse is dropped, so that a malformed one costs the workflow, not the trace.
 */
function carrierOf(meta: unknown): Record<string, string> | undefined {
  if (meta === undefined) return undefined;
  const fields = fieldsOf(meta);
  if (fields === undefined) {
    MCP_DIAG.warn("ignoring an MCP request's params._meta that is not an object");
    return undefined;
  }
  const carrier: Record<string, string> = {};
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (typeof value !== "string") continue;
    if (value.startsWith("{")) {
      try {
        JSON.parse(value);
      } catch {
        MCP_DIAG.warn(`ignoring malformed ${key} in an MCP request's params._meta`);
        continue;
      }
    }
    carrier[key] = value;
  }
  return carrier;
}

/** The transport's context is linked when the MCP parent differs from it (an HTTP server span, say). */
function linksFor(ambient: SpanContext | undefined, parent: SpanContext | undefined): Link[] | undefined {
  if (ambient === undefined || !trace.isSpanContextValid(ambient)) return undefined;
  if (parent !== undefined && parent.traceId === ambient.traceId && parent.spanId === ambient.spanId) return undefined;
  return [{ context: ambient }];
}

/** One traced handler run. */
class ServerCall {
  private readonly startedAt = performance.now();
  private cancelledAt: number | undefined;
  private readonly onAbort = (): void => {
    this.cancelledAt ??= Date.now();
  };

  constructor(
    private readonly telemetry: McpTelemetry,
    private readonly protocol: ProtocolLike,
    private readonly description: RequestDescription,
    private readonly span: ReturnType<McpTelemetry["tracer"]["startSpan"]>,
    private readonly parent: Context,
    private readonly signal: AbortSignal | undefined,
  ) {
    if (signal?.aborted) this.cancelledAt = Date.now();
    else signal?.addEventListener("abort", this.onAbort, { once: true });
  }

  get context(): Context {
    return trace.setSpan(this.parent, this.span);
  }

  end(error: unknown, failed: boolean, value?: unknown): void {
    try {
      this.finish(error, failed, value);
    } catch (failure) {
      MCP_DIAG.error("ending an MCP server span failed", failure);
    }
  }

  private finish(error: unknown, failed: boolean, value: unknown): void {
    const { span, description, telemetry } = this;
    this.signal?.removeEventListener("abort", this.onAbort);
    const recorded: Attributes = { ...description.attributes };
    protocolAttributes(this.protocol, recorded);
    if (failed) {
      const failure = classifyServerFailure(error);
      const code = String(failure.rpcCode);
      span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, code);
      recorded[ATTR_RPC_RESPONSE_STATUS_CODE] = code;
      recorded[ATTR_ERROR_TYPE] = failure.errorType;
      recordError(span, error, failure);
    } else if (description.method === MCP_METHOD_NAME_VALUE_TOOLS_CALL) {
      const errorType = recordToolResult(span, telemetry.config.capture, value);
      if (errorType !== undefined) recorded[ATTR_ERROR_TYPE] = errorType;
    } else if (description.method === MCP_METHOD_NAME_VALUE_INITIALIZE) {
      const version = rememberProtocolVersion(this.protocol, value);
      if (version !== undefined) recorded[ATTR_MCP_PROTOCOL_VERSION] = version;
    }
    const version = recorded[ATTR_MCP_PROTOCOL_VERSION];
    if (version !== undefined) span.setAttribute(ATTR_MCP_PROTOCOL_VERSION, version);
    if (this.cancelledAt !== undefined) {
      const caller = trace.getSpanContext(this.parent);
      markLateResult(span, Date.now() - this.cancelledAt, caller?.isRemote ? caller : undefined);
    }
    // In this process the server span stands for the workflow that carried the call over: it gets the limits too.
    if (inWorkflow(this.parent)) writeBudgetTotals(span, this.parent, true);
    markDeadlineAtEnd(span, this.parent);
    if (telemetry.metricsEnabled) telemetry.serverOperationDuration.record((performance.now() - this.startedAt) / 1000, metricAttributes(recorded));
    span.end();
  }
}

function startServerCall(
  telemetry: McpTelemetry,
  protocol: ProtocolLike,
  request: Fields,
  method: string,
  extra: HandlerExtra,
  ambient: SpanContext | undefined,
  carried: boolean,
): ServerCall {
  const parent = context.active();
  if (carried && trace.getSpanContext(parent)?.isRemote !== true) {
    MCP_DIAG.warn(`ignoring malformed trace context in the params._meta of an MCP ${method} request`);
  }
  const description = describeRequest(method, fieldsOf(request.params));
  const attributes: Attributes = { ...description.attributes };
  protocolAttributes(protocol, attributes);
  const id = requestIdOf(request.id);
  if (id !== undefined) attributes[ATTR_JSONRPC_REQUEST_ID] = id;
  const jsonrpc = stringOf(request.jsonrpc);
  if (jsonrpc !== undefined && jsonrpc !== "2.0") attributes[ATTR_JSONRPC_PROTOCOL_VERSION] = jsonrpc;
  const sessionId = sessionIdOf(protocol, extra.sessionId);
  if (sessionId !== undefined) attributes[ATTR_MCP_SESSION_ID] = sessionId;
  const links = linksFor(ambient, trace.getSpanContext(parent));
  const span = telemetry.tracer.startSpan(
    description.spanName,
    links === undefined ? { kind: SpanKind.SERVER, attributes } : { kind: SpanKind.SERVER, attributes, links },
    parent,
  );
  markDeadlineAtStart(span, parent);
  recordToolArguments(span, telemetry.config.capture, description.toolArguments);
  return new ServerCall(telemetry, protocol, description, span, parent, extra.signal);
}

/** Runs the handler in the call's context and ends the call when it settles; the handler's value or error passes
 * through unchanged. */
function runTraced(
  telemetry: McpTelemetry,
  protocol: ProtocolLike,
  handler: StoredHandler,
  request: Fields,
  method: string,
  extra: unknown,
  ambient: SpanContext | undefined,
  carried: boolean,
): unknown {
  let call: ServerCall | undefined;
  try {
    call = startServerCall(telemetry, protocol, request, method, readExtra(extra), ambient, carried);
  } catch (failure) {
    MCP_DIAG.error("starting an MCP server span failed", failure);
  }
  if (call === undefined) return handler(request, extra);
  const traced = call;
  let result: unknown;
  try {
    result = context.with(traced.context, handler, undefined, request, extra);
  } catch (error) {
    traced.end(error, true);
    throw error;
  }
  return Promise.resolve(result).then(
    (value) => {
      traced.end(undefined, false, value);
      return value;
    },
    (error: unknown) => {
      traced.end(error, true);
      throw error;
    },
  );
}

/** Wraps a stored request handler so that each request it serves gets a SERVER span. */
export function traceHandler(telemetry: () => McpTelemetry, protocol: ProtocolLike, handler: StoredHandler): StoredHandler {
  if ((handler as { [TRACED]?: boolean })[TRACED]) return handler;
  const traced: StoredHandler = (request, extra) => {
    const fields = fieldsOf(request);
    const method = stringOf(fields?.method);
    if (fields === undefined || method === undefined) return handler(request, extra);
    let carrier: Record<string, string> | undefined;
    try {
      carrier = carrierOf(fieldsOf(fields.params)?._meta);
    } catch (failure) {
      MCP_DIAG.error("reading an MCP request's params._meta failed", failure);
    }
    const ambient = trace.getSpanContext(context.active());
    const carried = carrier !== undefined && TRACEPARENT in carrier;
    return extract(carrier, () => runTraced(telemetry(), protocol, handler, fields, method, extra, ambient, carried));
  };
  Object.defineProperty(traced, TRACED, { value: true });
  return traced;
}
