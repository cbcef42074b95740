/**
 * What a request and its result say, read the same way on both sides: the span name and attributes of the MCP
 * conventions (`{mcp.method.name} {target}`, the tool, prompt or resource), the soft error of a tool result (F5),
 * and, with content capture on, the tool's arguments and result.
 */
import { SpanStatusCode, type Attributes, type Span } from "@opentelemetry/api";
import { toolResultSoftError } from "@telltale/core";
import { markToolSoftError } from "@telltale/core/instrumentation";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_RESOURCE_URI,
  ERROR_TYPE_VALUE_TOOL_ERROR,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  MCP_METHOD_NAME_VALUE_PROMPTS_GET,
  MCP_METHOD_NAME_VALUE_TOOLS_CALL,
} from "@telltale/core/attributes";
import { fieldsOf, itemsOf, stringOf, type ContentCapture, type Fields } from "@telltale/instrumentation-common";
import type { ToolArguments } from "./config.js";

/** The requests whose params name a resource (`mcp.resource.uri`). */
const RESOURCE_METHODS: ReadonlySet<string> = new Set(["resources/read", "resources/subscribe", "resources/unsubscribe"]);

/** The longest `telltale.soft_error.detail` written for a tool error. */
const DETAIL_MAX = 120;

/** One request, as both sides describe it. */
export interface RequestDescription {
  readonly method: string;
  readonly spanName: string;
  readonly attributes: Attributes;
  /** The tool of a `tools/call`. */
  readonly toolName: string | undefined;
  readonly toolArguments: ToolArguments;
}

export function describeRequest(method: string, params: Fields | undefined): RequestDescription {
  const attributes: Attributes = { [ATTR_MCP_METHOD_NAME]: method };
  let target: string | undefined;
  let toolName: string | undefined;
  let toolArguments: ToolArguments;
  if (method === MCP_METHOD_NAME_VALUE_TOOLS_CALL) {
    toolName = stringOf(params?.name);
    target = toolName;
    attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
    if (toolName !== undefined) attributes[ATTR_GEN_AI_TOOL_NAME] = toolName;
    toolArguments = fieldsOf(params?.arguments);
  } else if (method === MCP_METHOD_NAME_VALUE_PROMPTS_GET) {
    target = stringOf(params?.name);
    if (target !== undefined) attributes[ATTR_GEN_AI_PROMPT_NAME] = target;
  } else if (RESOURCE_METHODS.has(method)) {
    // The URI is high-cardinality: an attribute, never part of the span name.
    const uri = stringOf(params?.uri);
    if (uri !== undefined) attributes[ATTR_MCP_RESOURCE_URI] = uri;
  }
  return { method, spanName: target === undefined ? method : `${method} ${target}`, attributes, toolName, toolArguments };
}

/** `jsonrpc.request.id` is a string in the conventions, and absent for a null or missing id. */
export function requestIdOf(id: unknown): string | undefined {
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? String(id) : undefined;
}

function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return "";
  }
}

/** `gen_ai.tool.call.arguments`, with content capture on. */
export function recordToolArguments(span: Span, capture: ContentCapture, args: ToolArguments): void {
  if (capture.enabled && args !== undefined) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, capture.text(json(args)));
}

/** The first text block of a tool result: what the tool said went wrong. */
function firstText(result: Fields): string | undefined {
  for (const block of itemsOf(result.content)) {
    const text = stringOf(fieldsOf(block)?.text);
    if (text !== undefined && text.trim() !== "") return text;
  }
  return undefined;
}

/** Passed through the content redaction hook like captured text, and cut short: it names the failure, as an
 * exception message would. */
function errorDetail(result: Fields, capture: ContentCapture): string | undefined {
  const text = firstText(result);
  if (text === undefined) return undefined;
  const redacted = capture.text(text);
  return redacted.length > DETAIL_MAX ? `${redacted.slice(0, DETAIL_MAX)}…` : redacted;
}

/**
 * Records what a `tools/call` result says (F5): `isError: true` is `error.type=tool_error` with status ERROR and
 * `telltale.soft_error=tool_is_error`; empty content is `telltale.soft_error=empty_tool_result`. With content capture
 * on, also `gen_ai.tool.call.result`. Returns the `error.type` it wrote, if any.
 */
export function recordToolResult(span: Span, capture: ContentCapture, value: unknown): string | undefined {
  const result = fieldsOf(value);
  if (capture.enabled && result !== undefined) {
    span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, capture.text(json(result.structuredContent ?? result.content)));
  }
  const soft = toolResultSoftError(value);
  if (soft === undefined) return undefined;
  if (soft !== "tool_is_error") {
    markToolSoftError(span, soft);
    return undefined;
  }
  const detail = result === undefined ? undefined : errorDetail(result, capture);
  markToolSoftError(span, soft, detail);
  span.setAttribute(ATTR_ERROR_TYPE, ERROR_TYPE_VALUE_TOOL_ERROR);
  span.setStatus(detail === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: detail });
  return ERROR_TYPE_VALUE_TOOL_ERROR;
}
