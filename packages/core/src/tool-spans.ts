/**
 * What an instrumentation of a tool protocol (MCP) needs from core to give its tool calls the same signals as
 * `tool()`: the `execute_tool` span a call may already run in (one span per tool call), and the very rules `tool()`
 * runs: the idempotency checks of side-effecting tools (F8), the tool's timeout against the deadline and the deadline's
 * aborts (F10), soft errors (F5), late results (F11), and the budget of the context a call runs in (carried across
 * processes by `inject`/`extract`).
 */
import { trace, type Attributes, type Context, type Span } from "@opentelemetry/api";
import { ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_TOOL_NAME, GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL } from "./attributes.js";
import { classifyAgainstDeadline } from "./deadline.js";
import type { ErrorClassification } from "./errors.js";
import { recordSideEffect } from "./idempotency.js";
import { coreState, workflowScopeOf, type CoreSpanEntry } from "./state.js";

/** The `execute_tool` span a call runs directly in. */
export interface EnclosingToolSpan {
  readonly span: Span;
  /** Its `gen_ai.tool.name`, when it has one. */
  readonly toolName: string | undefined;
  /** Whether core's `tool()` made it (rather than another instrumentation). */
  readonly core: boolean;
  /** The attributes it carries so far (read-only). */
  readonly attributes: Readonly<Attributes>;
}

/**
 * The active span of `ctx` when it is a recording `execute_tool` span (`gen_ai.operation.name=execute_tool`, GenAI
 * conventions): core's `tool()` span or another instrumentation's. An instrumentation that sees the same tool call
 * adds its attributes there instead of nesting a duplicate span. Undefined otherwise (and for spans whose attributes
 * cannot be read, such as non-recording ones).
 */
export function enclosingToolSpan(ctx: Context): EnclosingToolSpan | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined || !span.isRecording()) return undefined;
  // The SDK's spans are ReadableSpans: their attributes can be read while they are open.
  const attributes = (span as unknown as { attributes?: unknown }).attributes;
  if (typeof attributes !== "object" || attributes === null) return undefined;
  const readable = attributes as Readonly<Attributes>;
  if (readable[ATTR_GEN_AI_OPERATION_NAME] !== GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL) return undefined;
  const toolName = readable[ATTR_GEN_AI_TOOL_NAME];
  return {
    span,
    toolName: typeof toolName === "string" ? toolName : undefined,
    core: (ctx.getValue(coreState().coreSpanKey) as CoreSpanEntry | undefined)?.span === span,
    attributes: readable,
  };
}

/** How a side-effecting tool call identifies itself (F8). */
export interface SideEffectCall {
  sideEffect?: boolean;
  idempotencyKey?: string;
}

/**
 * The idempotency checks of a side-effecting tool call (F8), the ones core's `tool()` runs: `telltale.side_effect`,
 * the key or `telltale.idempotency.missing`, and `telltale.duplicate` when the same tool ran with the same key before
 * in the same trace (in this process, or before a job carrier brought it here). Run once per call (a second check of
 * the same call would find its own key).
 */
export function checkIdempotency(span: Span, toolName: string, call: SideEffectCall, ctx: Context): void {
  if (call.sideEffect !== true) return;
  recordSideEffect(span, toolName, call.idempotencyKey, workflowScopeOf(ctx));
}

/** Whether `ctx` runs in a workflow (its own, or one carried from another process by `extract`). */
export function inWorkflow(ctx: Context): boolean {
  return workflowScopeOf(ctx) !== undefined;
}

/** An abort or timeout that happened once the workflow deadline of `ctx` had passed is `deadline_exceeded` (F10), as
 * core records it on its own spans. */
export function againstDeadline<T extends ErrorClassification>(found: T, ctx: Context): T {
  return classifyAgainstDeadline(found, workflowScopeOf(ctx));
}
