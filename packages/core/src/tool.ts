import { context, type Attributes } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_TOOL_TIMEOUT_MS,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  type SoftErrorKind,
} from "./attributes.js";
import { deadlineRemainingMs } from "./deadline.js";
import { recordSideEffect } from "./idempotency.js";
import { markKeep } from "./keep.js";
import { record } from "./metrics.js";
import { rules, defineSchema } from "./options.js";
import { readCall, readName, runIn, runUntraced, type WorkFn } from "./run.js";
import { safely } from "./safe.js";
import { recordCompleted } from "./step.js";
import { endWork, startWork, type StartedWork } from "./work.js";

/** Options of {@link tool}. */
export interface ToolOptions {
  /** The tool writes, sends or charges something: it should carry an idempotency key (F8). */
  sideEffect?: boolean;
  /** Recorded, and checked for duplicates within the trace (same tool name and key). */
  idempotencyKey?: string;
  /** The tool's own timeout: flagged when longer than the time left before the deadline (F10); also aborts
   * `signal` when it passes. */
  timeoutMs?: number;
  /** `gen_ai.tool.call.id`, the model's id for this tool call. */
  callId?: string;
  /** `gen_ai.tool.type`: `function`, `extension`, `datastore`. */
  type?: string;
  attributes?: Attributes;
  /** Tells a failed result apart when the tool reports failure in its return value; by default a result with
   * `isError: true` (MCP `CallToolResult`) is a soft error `tool_is_error`. */
  isError?: (result: unknown) => boolean;
}

const TOOL_SCHEMA = defineSchema<ToolOptions>({
  sideEffect: rules.boolean,
  idempotencyKey: rules.string,
  timeoutMs: rules.milliseconds,
  callId: rules.string,
  type: rules.string,
  attributes: rules.attributes,
  isError: rules.function,
});

/** The soft error a tool result amounts to (F5), if any. */
export function toolResultSoftError(result: unknown, isError?: (result: unknown) => boolean): SoftErrorKind | undefined {
  if (result === null || result === undefined) return "empty_tool_result";
  if (isError !== undefined) {
    if (isError(result)) return "tool_is_error";
  } else if (typeof result === "object" && (result as { isError?: unknown }).isError === true) {
    return "tool_is_error";
  }
  if (typeof result === "string") return result.trim() === "" ? "empty_tool_result" : undefined;
  if (Array.isArray(result)) return result.length === 0 ? "empty_tool_result" : undefined;
  if (result instanceof Map || result instanceof Set) return result.size === 0 ? "empty_tool_result" : undefined;
  if (typeof result === "object" && Object.getPrototypeOf(result) === Object.prototype) {
    const content = (result as { content?: unknown }).content;
    if (Array.isArray(content) && content.length === 0) return "empty_tool_result";
    if (Object.keys(result).length === 0) return "empty_tool_result";
  }
  return undefined;
}

function startTool(name: string | undefined, options: ToolOptions): StartedWork {
  const attributes: Attributes = { ...options.attributes, [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL };
  if (name !== undefined) attributes[ATTR_GEN_AI_TOOL_NAME] = name;
  if (options.callId !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ID] = options.callId;
  if (options.type !== undefined) attributes[ATTR_GEN_AI_TOOL_TYPE] = options.type;
  const timeoutMs = options.timeoutMs;
  if (timeoutMs !== undefined) attributes[ATTR_TELLTALE_TOOL_TIMEOUT_MS] = timeoutMs;
  const parent = context.active();
  const spanName = name === undefined ? GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL : `${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${name}`;
  const work = startWork(spanName, attributes, parent, timeoutMs);
  const remaining = deadlineRemainingMs(parent);
  if (timeoutMs !== undefined && remaining !== undefined && timeoutMs > remaining) {
    work.span.setAttribute(ATTR_TELLTALE_DEADLINE_TIMEOUT_EXCEEDS_REMAINING, true);
    markKeep(work.span, "deadline_exceeded");
  }
  if (options.sideEffect === true) recordSideEffect(work.span, name, options.idempotencyKey, work.scope);
  return work;
}

function recordSoftError(work: StartedWork, result: unknown, isError: ToolOptions["isError"]): void {
  const soft = toolResultSoftError(result, isError);
  if (soft === undefined) return;
  work.span.setAttribute(ATTR_TELLTALE_SOFT_ERROR, soft);
  markKeep(work.span, "soft_error");
  record("softErrors", 1, { [ATTR_TELLTALE_SOFT_ERROR]: soft, [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL });
}

/**
 * Runs `fn` as a tool call: an `execute_tool {name}` span (GenAI semconv) with side-effect and idempotency checks
 * (F8), deadline checks (F10) and soft errors for empty or `isError` results (F5).
 */
export function tool<T>(name: string, fn: WorkFn<T>): Promise<T>;
export function tool<T>(name: string, options: ToolOptions, fn: WorkFn<T>): Promise<T>;
export function tool<T>(name: string, optionsOrFn: ToolOptions | WorkFn<T>, maybeFn?: WorkFn<T>): Promise<T> {
  const [options, fn] = readCall<ToolOptions, T>("tool", optionsOrFn, maybeFn, TOOL_SCHEMA);
  const toolName = readName("tool", name);
  const started = safely("tool start", () => startTool(toolName, options), undefined);
  if (started === undefined) return runUntraced(fn);
  return runIn(started.ctx, started.run, fn, (error, failed, result) =>
    safely("tool end", () => {
      if (!failed) {
        recordCompleted(started.scope, toolName);
        safely("tool isError", () => recordSoftError(started, result, options.isError));
      }
      const metricAttributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL };
      if (toolName !== undefined) metricAttributes[ATTR_GEN_AI_TOOL_NAME] = toolName;
      endWork(started, error, failed, metricAttributes);
    }),
  );
}
