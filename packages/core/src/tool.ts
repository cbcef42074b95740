import { context, type Attributes, type Context, type Span } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_CALL_ID,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  type SoftErrorKind,
} from "./attributes.js";
import { checkToolTimeout } from "./deadline.js";
import { recordSideEffect } from "./idempotency.js";
import { rules, defineSchema } from "./options.js";
import { readCall, readName, runIn, runUntraced, type WorkFn } from "./run.js";
import { safely } from "./safe.js";
import { markSoftError } from "./soft-errors.js";
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

/** What a tool's options accept (options.ts), for the function and the start/end form alike. */
export const TOOL_SCHEMA = defineSchema<ToolOptions>({
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

/** Starts a tool span (`execute_tool {name}`) under `parent` (options already checked): the tool's timeout against the
 * deadline (F10) and the side-effect checks (F8). */
export function startTool(name: string | undefined, options: Partial<ToolOptions>, parent: Context): StartedWork {
  const attributes: Attributes = { ...options.attributes, [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL };
  if (name !== undefined) attributes[ATTR_GEN_AI_TOOL_NAME] = name;
  if (options.callId !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ID] = options.callId;
  if (options.type !== undefined) attributes[ATTR_GEN_AI_TOOL_TYPE] = options.type;
  const spanName = name === undefined ? GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL : `${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} ${name}`;
  const work = startWork(spanName, attributes, parent, options.timeoutMs);
  if (options.timeoutMs !== undefined) checkToolTimeout(work.span, options.timeoutMs, parent);
  if (options.sideEffect === true) recordSideEffect(work.span, name, options.idempotencyKey, work.scope);
  return work;
}

/** A tool result that failed without raising (F5): `telltale.soft_error` (and its detail), keep, and the soft-error
 * counter. The one way a tool span records one, whichever instrumentation made the span. */
export function markToolSoftError(span: Span, kind: SoftErrorKind, detail?: string): void {
  markSoftError(span, kind, detail, GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL);
}

/** How a tool call ended: with an error, or with the result it returned. */
export type ToolEnd = { readonly failed: true; readonly error: unknown } | { readonly failed: false; readonly result: unknown };

/** Ends a tool span: a returned result completes the step of the same name and may be a soft error (F5). */
export function endTool(work: StartedWork, name: string | undefined, isError: ToolOptions["isError"], end: ToolEnd): void {
  if (!end.failed) {
    recordCompleted(work.scope, name);
    safely("tool isError", () => {
      const soft = toolResultSoftError(end.result, isError);
      if (soft !== undefined) markToolSoftError(work.span, soft);
    });
  }
  const metricAttributes: Attributes = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL };
  if (name !== undefined) metricAttributes[ATTR_GEN_AI_TOOL_NAME] = name;
  endWork(work, end.failed ? end.error : undefined, end.failed, metricAttributes);
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
  const started = safely("tool start", () => startTool(toolName, options, context.active()), undefined);
  if (started === undefined) return runUntraced(fn);
  return runIn(started.ctx, started.run, fn, (error, failed, result) =>
    safely("tool end", () => endTool(started, toolName, options.isError, failed ? { failed: true, error } : { failed: false, result })),
  );
}
