/**
 * What each Agents SDK trace and span becomes: the trace a workflow (`invoke_agent {trace name}`), each agent a
 * nested workflow (`invoke_agent {agent}`), turns, hand-offs, guardrails, MCP tool listings and custom spans steps,
 * function tools tool spans (F5, F8, F10), and response/generation spans one LLM call each, which the instrumented
 * `openai` call made under them joins. The task span (the run itself) has no span of its own: how the run ended is
 * recorded on the workflow.
 */
import { context, type Context } from "@opentelemetry/api";
import { recordError, type ToolOptions, type WorkflowOptions } from "@telltale/core";
import {
  startModelCall,
  startStepSpan,
  startToolSpan,
  startWorkflowSpan,
  type ToolSpan,
} from "@telltale/core/instrumentation";
import { GEN_AI_OPERATION_NAME_VALUE_CHAT, GEN_AI_PROVIDER_NAME_VALUE_OPENAI } from "@telltale/core/attributes";
import { fieldsOf, numberOf, parsedJson, stringOf, type Fields } from "./fields.js";
import type { TelltaleAgentsOptions } from "./options.js";
import { registry, remember, type SpanEntry } from "./spans.js";

const MAX_TURNS_ERROR = "MaxTurnsExceededError";
/** `gen_ai.tool.type` of a function tool, and of a tool an MCP server provides (run by the agent, elsewhere). */
const TOOL_TYPE_FUNCTION = "function";
const TOOL_TYPE_EXTENSION = "extension";

/** The parts of an Agents SDK `Trace` the processor reads. */
export interface AgentsTrace {
  readonly traceId: string;
  readonly name?: string;
  readonly groupId?: string | null;
}

/** The parts of an Agents SDK `Span` the processor reads. */
export interface AgentsSpan {
  readonly spanId: string;
  readonly traceId: string;
  readonly parentId: string | null;
  readonly spanData: { readonly type: string } & Readonly<Record<string, unknown>>;
  readonly error: { readonly message: string; readonly data?: Readonly<Record<string, unknown>> } | null;
  readonly previousSpan?: AgentsSpan | undefined;
}

export function traceStarted(trace: AgentsTrace, options: TelltaleAgentsOptions, parent: Context = context.active()): SpanEntry {
  const { traces } = registry();
  const known = traces.get(trace.traceId);
  if (known !== undefined) return known;
  const name = trace.name ?? "Agent workflow";
  const groupId = stringOf(trace.groupId);
  const workflowOptions: WorkflowOptions = { ...options.workflows?.[name], ...(groupId !== undefined && { conversationId: groupId }) };
  const span = startWorkflowSpan(name, workflowOptions, parent);
  const entry: SpanEntry = {
    kind: "workflow",
    context: span.context,
    span,
    workflow: undefined,
    close: (partial) => span.end(partial ? "partial" : undefined),
  };
  remember(traces, trace.traceId, entry);
  return entry;
}

export function traceEnded(trace: AgentsTrace): void {
  endWorkflow(trace.traceId);
}

function endWorkflow(traceId: string): void {
  const { traces } = registry();
  const entry = traces.get(traceId);
  if (entry === undefined) return;
  traces.delete(traceId);
  if (entry.runError !== undefined) entry.span?.fail(entry.runError);
  else entry.close?.(entry.runStoppedShort === true);
}

/** The entry of `span`, created now if the processor has not seen it start yet (it may run after another
 * processor, a microtask later than the SDK call made under the span). */
export function ensureEntry(span: AgentsSpan, options: TelltaleAgentsOptions): SpanEntry {
  const { spans, traces } = registry();
  const known = spans.get(span.spanId);
  if (known !== undefined) return known;
  let parent: SpanEntry | undefined;
  if (span.parentId !== null) {
    parent = spans.get(span.parentId);
    const previous = span.previousSpan;
    if (parent === undefined && previous !== undefined && previous.spanId === span.parentId) parent = ensureEntry(previous, options);
  }
  parent ??= traces.get(span.traceId) ?? traceStarted({ traceId: span.traceId }, options);
  const entry = entryFor(span, parent, options);
  remember(spans, span.spanId, entry);
  return entry;
}

function workflowOf(entry: SpanEntry): SpanEntry | undefined {
  return entry.kind === "workflow" ? entry : entry.workflow;
}

function stepEntry(name: string, parent: SpanEntry): SpanEntry {
  const span = startStepSpan(name, {}, parent.context);
  return { kind: "step", context: span.context, span, workflow: workflowOf(parent), close: () => span.end() };
}

/** Stands for a tool output the SDK did not record (`traceIncludeSensitiveData: false`): no soft error is claimed. */
const UNRECORDED = Symbol("output not recorded");

function toolOptions(name: string, data: Fields, options: TelltaleAgentsOptions): ToolOptions {
  const configured = options.tools?.[name];
  const result: ToolOptions = { type: data.mcp_data === undefined ? TOOL_TYPE_FUNCTION : TOOL_TYPE_EXTENSION };
  if (configured?.timeoutMs !== undefined) result.timeoutMs = configured.timeoutMs;
  if (configured?.sideEffect === true) {
    result.sideEffect = true;
    const key = configured.idempotencyKey?.(parsedJson(data.input));
    if (key !== undefined) result.idempotencyKey = key;
  }
  return result;
}

/**
 * A function tool's span starts a microtask after the SDK's: the SDK fills in the tool's arguments right after
 * starting its span, and the idempotency key (F8) comes from them. Anything that needs the span earlier starts it.
 */
function toolEntry(span: AgentsSpan, parent: SpanEntry, options: TelltaleAgentsOptions): SpanEntry {
  const entry = new ToolEntry(span.spanData, parent, options);
  queueMicrotask(entry.start);
  return entry;
}

/** A class, not an object literal: a literal with getters is built by the runtime, at some 20 times the cost. */
class ToolEntry implements SpanEntry {
  readonly kind = "tool";
  readonly workflow: SpanEntry | undefined;
  private tool: ToolSpan | undefined;
  /** Starts the tool span once; a function property, handed to queueMicrotask. */
  readonly start: () => ToolSpan;
  readonly close: (partial: boolean, output?: unknown) => void;

  constructor(data: Fields, parent: SpanEntry, options: TelltaleAgentsOptions) {
    const name = stringOf(data.name) ?? "tool";
    this.workflow = workflowOf(parent);
    this.start = () => (this.tool ??= startToolSpan(name, toolOptions(name, data, options), parent.context));
    this.close = (_partial, output) => this.start().end(output);
  }

  get context(): Context {
    return this.start().context;
  }

  get span(): ToolSpan {
    return this.start();
  }
}

function entryFor(span: AgentsSpan, parent: SpanEntry, options: TelltaleAgentsOptions): SpanEntry {
  const data = span.spanData;
  const name = stringOf(data.name);
  switch (data.type) {
    case "agent": {
      const agent = startWorkflowSpan(name ?? "agent", {}, parent.context);
      return { kind: "agent", context: agent.context, span: agent, workflow: workflowOf(parent), close: (partial) => agent.end(partial ? "partial" : undefined) };
    }
    case "turn":
      return stepEntry(`turn ${numberOf(data.turn) ?? ""}`.trim(), parent);
    case "guardrail":
      return stepEntry(`guardrail ${name ?? ""}`.trim(), parent);
    case "mcp_tools":
      return stepEntry(`mcp_tools ${stringOf(data.server) ?? ""}`.trim(), parent);
    case "custom":
      return stepEntry(name ?? "custom", parent);
    case "function":
      return toolEntry(span, parent, options);
    case "response":
    case "generation": {
      const requestModel = stringOf(data.model);
      const modelCall = startModelCall({
        provider: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
        operation: GEN_AI_OPERATION_NAME_VALUE_CHAT,
        ...(requestModel !== undefined && { requestModel }),
        parentContext: parent.context,
      });
      return { kind: "model", context: parent.context, modelCall, workflow: workflowOf(parent) };
    }
    default:
      // task (the run: how it ends goes on the workflow), handoff (a step once its target is known), speech…
      return { kind: "through", context: parent.context, workflow: workflowOf(parent) };
  }
}

/** The SDK reports errors as `{ message, data: { error: "ClassName: message" } }`: the class name is kept. */
function errorOf(span: AgentsSpan): Error | undefined {
  if (span.error === null) return undefined;
  const detail = stringOf(span.error.data?.error);
  const match = detail === undefined ? null : /^([A-Za-z][\w$]*): ([\s\S]*)$/.exec(detail);
  const error = new Error(match?.[2] ?? (detail === undefined ? span.error.message : `${span.error.message}: ${detail}`));
  if (match?.[1] !== undefined) error.name = match[1];
  return error;
}

export function spanEnded(span: AgentsSpan): void {
  const { spans } = registry();
  const entry = spans.get(span.spanId);
  if (entry === undefined) return;
  spans.delete(span.spanId);
  const error = errorOf(span);
  const data = span.spanData;
  switch (data.type) {
    case "task":
      return recordRunEnd(entry, error, span.traceId);
    case "handoff":
      return endHandoff(entry, data);
    case "function":
      return endTool(entry, data, error);
    case "guardrail":
      return endGuardrail(entry, data);
    case "response":
    case "generation":
      return endModel(entry, data, error);
    default:
      return endSpan(entry, error);
  }
}

function isStopShort(error: Error | undefined): boolean {
  return error?.name === MAX_TURNS_ERROR;
}

function recordRunEnd(entry: SpanEntry, error: Error | undefined, traceId: string): void {
  const workflow = entry.workflow;
  if (workflow === undefined || error === undefined) return;
  // A run cut off by max turns did not fail: it stopped before its final answer (F6).
  if (isStopShort(error)) workflow.runStoppedShort = true;
  else workflow.runError = error;
  // The SDK never ends a trace whose run threw: the run's end is the workflow's.
  endWorkflow(traceId);
}

function endSpan(entry: SpanEntry, error: Error | undefined): void {
  if (error === undefined || isStopShort(error)) entry.close?.(isStopShort(error));
  else entry.span?.fail(error);
}

function endHandoff(entry: SpanEntry, data: Fields): void {
  const to = stringOf(data.to_agent);
  const parent = { kind: "through", context: entry.context, workflow: entry.workflow } as const;
  stepEntry(`handoff ${to ?? ""}`.trim(), parent).close?.(false);
}

function endGuardrail(entry: SpanEntry, data: Fields): void {
  if (data.triggered === true && entry.span !== undefined) {
    // The tripwire stops the run: the error the agent ends with says which one; the guardrail's span says where.
    recordError(entry.span.span, new Error(`guardrail ${stringOf(data.name) ?? ""} triggered its tripwire`), {
      errorClass: "guardrail_tripwire",
      recoverable: false,
      errorType: "guardrail_tripwire",
    });
  }
  entry.close?.(false);
}

function endTool(entry: SpanEntry, data: Fields, error: Error | undefined): void {
  if (error !== undefined) return entry.span?.fail(error);
  // Without the tool's arguments the SDK recorded no data at all (a tool without arguments still has "{}").
  const recorded = stringOf(data.input) !== undefined;
  entry.close?.(false, recorded ? parsedJson(data.output) : UNRECORDED);
}

function endModel(entry: SpanEntry, data: Fields, error: Error | undefined): void {
  const modelCall = entry.modelCall;
  if (modelCall === undefined) return;
  if (!modelCall.joined) recordModelData(entry, data);
  modelCall.end(error);
}

/** The SDK's own account of a model call, for one whose `openai` call Telltale did not see. */
function recordModelData(entry: SpanEntry, data: Fields): void {
  const modelCall = entry.modelCall!;
  const response = fieldsOf(data._response);
  const usage = fieldsOf(response?.usage) ?? fieldsOf(data.usage);
  if (usage !== undefined) {
    const inputTokens = numberOf(usage.input_tokens);
    const outputTokens = numberOf(usage.output_tokens);
    modelCall.recordUsage({ ...(inputTokens !== undefined && { inputTokens }), ...(outputTokens !== undefined && { outputTokens }) });
  }
  const responseModel = stringOf(response?.model) ?? stringOf(data.model);
  const responseId = stringOf(data.response_id) ?? stringOf(response?.id);
  modelCall.recordResponse({ ...(responseModel !== undefined && { responseModel }), ...(responseId !== undefined && { responseId }) });
}
