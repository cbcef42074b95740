/**
 * What each kind of LangChain run becomes: a top-level run a workflow, graph nodes and the steps of a top-level
 * sequence steps, `withRetry` wrappers retry spans, tools tool spans, chat models and LLMs model calls (which the
 * instrumented SDK calls join). Other runs (prompt templates, output parsers, conditional edges, LangGraph's own
 * plumbing) get no span: what runs under them nests under the nearest run that has one.
 */
import { context, type Attributes } from "@opentelemetry/api";
import { DeadlineExceededError, type ToolOptions, type WorkflowOptions } from "@telltale/core";
import {
  startModelCall,
  startRetrySpan,
  startStepSpan,
  startToolSpan,
  startWorkflowSpan,
} from "@telltale/core/instrumentation";
import {
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_TELLTALE_INTERRUPTED,
} from "@telltale/core/attributes";
import { fieldsOf, numberOf, parsedInput, serializedClass, stringOf, type Fields } from "./fields.js";
import type { TelltaleLangChainOptions } from "./options.js";
import { addRun, findRun, removeRun, workflowOf, type RunEntry } from "./runs.js";
import { LANGCHAIN_DIAG } from "./diag.js";

/** LangGraph's own nodes (`__start__`) and the runs it hides from tracing are plumbing, not steps. */
const HIDDEN_TAG = "langsmith:hidden";
const SEQUENCE_STEP_TAG = "seq:step:";
const RETRY_CLASS = "RunnableRetry";

function nodeOf(metadata: Fields | undefined): string | undefined {
  const node = stringOf(metadata?.langgraph_node);
  return node === undefined || node.startsWith("__") ? undefined : node;
}

/** A run directly under a `withRetry` wrapper is one of its attempts. */
function settle(entry: RunEntry, failed: boolean, error?: unknown): void {
  removeRun(entry);
  if (entry.parent?.kind !== "retry") return;
  entry.parent.retry?.attempt({ failed, error: error, startedAt: entry.startedAt, endedAt: performance.now() });
}

function endEvicted(entry: RunEntry): void {
  LANGCHAIN_DIAG.warn(`run ${entry.id} never ended; its span is ended now`);
  entry.span?.fail(new Error("the LangChain run never reported its end"));
  entry.modelCall?.end();
}

/** A LangGraph `Command` that resumes an interrupted run: the steps before the interrupt ran in an earlier run. */
function isResume(inputs: unknown): boolean {
  const command = fieldsOf(inputs);
  return command?.lg_name === "Command" && command.resume !== undefined;
}

function workflowOptions(name: string, inputs: unknown, metadata: Fields | undefined, options: TelltaleLangChainOptions): WorkflowOptions {
  const { steps, ...rest } = options.workflows?.[name] ?? {};
  // A resumed run cannot tell which declared steps ran before its interrupt: it declares none.
  const configured: WorkflowOptions = steps === undefined || isResume(inputs) ? rest : { ...rest, steps };
  const timeoutMs = numberOf(metadata?.timeoutMs);
  return configured.deadlineMs === undefined && timeoutMs !== undefined ? { ...configured, deadlineMs: timeoutMs } : configured;
}

/** A chain run: the workflow when nothing tracked is above it, else a step, a retry, or nothing of its own. */
export function chainStarted(
  serialized: unknown,
  inputs: unknown,
  runId: string,
  parentRunId: unknown,
  tags: readonly string[],
  metadata: Fields | undefined,
  runName: string | undefined,
  options: TelltaleLangChainOptions,
): void {
  const name = runName ?? serializedClass(serialized) ?? "chain";
  const parent = findRun(parentRunId);
  if (parent === undefined) {
    const span = startWorkflowSpan(name, workflowOptions(name, inputs, metadata, options), context.active());
    const close = (interrupted: boolean): void => span.end(interrupted ? "interrupted" : undefined);
    const entry = { id: runId, kind: "workflow", parent, context: span.context, node: undefined, span, close, ended: false } as const;
    addRun({ ...entry, rootTimeoutMs: numberOf(metadata?.timeoutMs), startedAt: performance.now() }, endEvicted);
    return;
  }
  const base = { id: runId, parent, rootTimeoutMs: parent.rootTimeoutMs, startedAt: performance.now(), ended: false };
  const node = nodeOf(metadata);
  const isNode = node !== undefined && node === name && parent.node !== node && !tags.includes(HIDDEN_TAG);
  const isSequenceStep = parent.kind === "workflow" && tags.some((tag) => tag.startsWith(SEQUENCE_STEP_TAG));
  if (isNode || isSequenceStep) {
    const span = startStepSpan(name, {}, parent.context);
    const close = (interrupted: boolean): void => span.end({ interrupted });
    addRun({ ...base, kind: "step", context: span.context, node: node ?? parent.node, span, close }, endEvicted);
  } else if (serializedClass(serialized) === RETRY_CLASS) {
    const span = startRetrySpan(name === RETRY_CLASS ? "runnable" : name, parent.context);
    addRun({ ...base, kind: "retry", context: span.context, node: parent.node, span, retry: span, close: () => span.end() }, endEvicted);
  } else {
    addRun({ ...base, kind: "through", context: parent.context, node: node ?? parent.node }, endEvicted);
  }
}

/** GraphInterrupt, NodeInterrupt, GraphDrained: the run paused (or stopped for a shutdown) and can resume. */
function isPause(error: unknown): boolean {
  const name = fieldsOf(error)?.name;
  return name === "GraphInterrupt" || name === "NodeInterrupt" || name === "GraphDrained";
}

/** LangGraph's control flow travels as errors (`is_bubble_up`): a pause, or a `Command` for the parent graph. */
function isBubbleUp(error: unknown): boolean {
  return fieldsOf(error)?.is_bubble_up === true;
}

function interruptsOf(outputs: unknown): boolean {
  const interrupts = fieldsOf(outputs)?.__interrupt__;
  return Array.isArray(interrupts) && interrupts.length > 0;
}

export function chainEnded(runId: string, outputs: unknown): void {
  const entry = findRun(runId);
  if (entry === undefined || entry.ended) return;
  settle(entry, false);
  // The graph returns its interrupts to the caller, but its run's end event does not always carry them.
  if (entry.kind === "workflow" && (entry.paused === true || interruptsOf(outputs))) {
    // Ended interrupted, the workflow span carries telltale.interrupted (core writes it).
    endWorkflowOrStep(entry, true);
    return;
  }
  endWorkflowOrStep(entry, false);
}

function endWorkflowOrStep(entry: RunEntry, interrupted: boolean): void {
  entry.close?.(interrupted, undefined);
}

export function chainFailed(runId: string, error: unknown): void {
  const entry = findRun(runId);
  if (entry === undefined || entry.ended) return;
  settle(entry, !isBubbleUp(error), error);
  if (isBubbleUp(error)) {
    const paused = isPause(error);
    if (paused) {
      entry.span?.span.setAttribute(ATTR_TELLTALE_INTERRUPTED, true);
      const workflow = workflowOf(entry);
      if (workflow !== undefined) workflow.paused = true;
    }
    endWorkflowOrStep(entry, paused);
    return;
  }
  entry.span?.fail(runTimedOut(entry, error) ? new DeadlineExceededError(entry.rootTimeoutMs, { cause: error }) : error);
}

/** How late LangChain may report a top-level run's start after arming its timeout: 10% of it, 25 ms to 1 s. */
function startReportLagMs(timeoutMs: number): number {
  return Math.min(1_000, Math.max(25, timeoutMs / 10));
}

/** The errors LangChain and LangGraph fail a run with when its signal aborts. */
function isAbort(error: unknown): boolean {
  const fields = fieldsOf(error);
  return fields?.name === "AbortError" || fields?.name === "TimeoutError" || fields?.message === "Abort" || fields?.message === "Aborted";
}

/**
 * A top-level run with a `timeout` that was aborted once that timeout had (all but) run out: LangChain enforces the
 * run's timeout with a timer it arms before it reports the run's start, so it fails the run a moment before the
 * workflow's own deadline timer fires (and LangGraph names it only "Abort"). The failure is the deadline all the same.
 */
function runTimedOut(entry: RunEntry, error: unknown): entry is RunEntry & { rootTimeoutMs: number } {
  const timeoutMs = entry.rootTimeoutMs;
  if (entry.kind !== "workflow" || timeoutMs === undefined || !isAbort(error)) return false;
  return performance.now() - entry.startedAt >= timeoutMs - startReportLagMs(timeoutMs);
}

function toolOptions(name: string, input: unknown, metadata: Fields | undefined, parent: RunEntry | undefined, options: TelltaleLangChainOptions): ToolOptions {
  const configured = options.tools?.[name];
  const result: ToolOptions = { type: "function" };
  if (configured?.sideEffect === true) {
    result.sideEffect = true;
    const key = configured.idempotencyKey?.(parsedInput(input));
    if (key !== undefined) result.idempotencyKey = key;
  }
  // The run's own timeout, when the tool was called with one that is not just the one inherited from the top.
  const ownTimeout = numberOf(metadata?.timeoutMs);
  const timeoutMs = configured?.timeoutMs ?? (ownTimeout !== parent?.rootTimeoutMs ? ownTimeout : undefined);
  if (timeoutMs !== undefined) result.timeoutMs = timeoutMs;
  return result;
}

/** What the tool's end reported: a ToolMessage's status and content, or the tool's plain return value. */
interface ToolOutcome {
  isError: boolean;
  result: unknown;
}

function toolOutcome(output: unknown): ToolOutcome {
  const message = fieldsOf(output);
  if (message !== undefined && "tool_call_id" in message && "content" in message) {
    return { isError: message.status === "error", result: message.content };
  }
  return { isError: false, result: output };
}

export function toolStarted(
  serialized: unknown,
  input: unknown,
  runId: string,
  parentRunId: unknown,
  metadata: Fields | undefined,
  runName: string | undefined,
  toolCallId: unknown,
  options: TelltaleLangChainOptions,
): void {
  const parent = findRun(parentRunId);
  const name = runName ?? stringOf(fieldsOf(serialized)?.name) ?? serializedClass(serialized) ?? "tool";
  const outcome: ToolOutcome = { isError: false, result: undefined };
  const toolOpts = { ...toolOptions(name, input, metadata, parent, options), isError: () => outcome.isError };
  const callId = stringOf(toolCallId);
  if (callId !== undefined) toolOpts.callId = callId;
  const span = startToolSpan(name, toolOpts, parent?.context ?? context.active());
  const entry: RunEntry & { outcome: ToolOutcome } = {
    id: runId,
    kind: "tool",
    parent,
    close: (_interrupted, output) => span.end(output),
    context: span.context,
    node: parent?.node,
    rootTimeoutMs: parent?.rootTimeoutMs,
    startedAt: performance.now(),
    span,
    ended: false,
    outcome,
  };
  addRun(entry, endEvicted);
}

export function toolEnded(runId: string, output: unknown): void {
  const entry = findRun(runId) as (RunEntry & { outcome?: ToolOutcome }) | undefined;
  if (entry === undefined || entry.ended || entry.outcome === undefined) return;
  settle(entry, false);
  const found = toolOutcome(output);
  entry.outcome.isError = found.isError;
  entry.close?.(false, found.result);
}

export function runFailed(runId: string, error: unknown): void {
  const entry = findRun(runId);
  if (entry === undefined || entry.ended) return;
  settle(entry, true, error);
  if (entry.modelCall !== undefined) entry.modelCall.end(error);
  else entry.span?.fail(error);
}

function modelAttributes(metadata: Fields | undefined): Attributes {
  const attributes: Attributes = {};
  const temperature = numberOf(metadata?.ls_temperature);
  const maxTokens = numberOf(metadata?.ls_max_tokens);
  if (temperature !== undefined) attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE] = temperature;
  if (maxTokens !== undefined) attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS] = maxTokens;
  return attributes;
}

export function modelStarted(
  serialized: unknown,
  runId: string,
  parentRunId: unknown,
  extraParams: Fields | undefined,
  metadata: Fields | undefined,
  operation: string,
): void {
  const parent = findRun(parentRunId);
  const invocation = fieldsOf(extraParams?.invocation_params);
  const requestModel = stringOf(metadata?.ls_model_name) ?? stringOf(invocation?.model) ?? stringOf(invocation?.model_name);
  const startedIn = context.active();
  const modelCall = startModelCall({
    provider: stringOf(metadata?.ls_provider) ?? serializedClass(serialized) ?? "langchain",
    operation,
    ...(requestModel !== undefined && { requestModel }),
    attributes: modelAttributes(metadata),
    parentContext: parent?.context ?? startedIn,
  });
  addRun(
    {
      id: runId,
      kind: "model",
      parent,
      context: parent?.context ?? startedIn,
      node: parent?.node,
      rootTimeoutMs: parent?.rootTimeoutMs,
      startedAt: performance.now(),
      modelCall,
      startedIn,
      ended: false,
    },
    endEvicted,
  );
}

/** The framework's own account of a model call, for a model whose SDK calls Telltale did not see. */
function recordModelOutput(entry: RunEntry, output: unknown): void {
  const modelCall = entry.modelCall;
  if (modelCall === undefined || modelCall.joined) return;
  const generations = fieldsOf(output)?.generations;
  const first = Array.isArray(generations) && Array.isArray(generations[0]) ? fieldsOf(generations[0][0]) : undefined;
  const message = fieldsOf(first?.message);
  const usage = fieldsOf(message?.usage_metadata);
  if (usage !== undefined) {
    const inputTokens = numberOf(usage.input_tokens);
    const outputTokens = numberOf(usage.output_tokens);
    const cacheRead = numberOf(fieldsOf(usage.input_token_details)?.cache_read);
    const reasoning = numberOf(fieldsOf(usage.output_token_details)?.reasoning);
    modelCall.recordUsage({
      ...(inputTokens !== undefined && { inputTokens }),
      ...(outputTokens !== undefined && { outputTokens }),
      ...(cacheRead !== undefined && { cacheReadInputTokens: cacheRead }),
      ...(reasoning !== undefined && { reasoningOutputTokens: reasoning }),
    });
  }
  const metadata = fieldsOf(message?.response_metadata);
  const finish = stringOf(fieldsOf(first?.generationInfo)?.finish_reason) ?? stringOf(metadata?.finish_reason) ?? stringOf(metadata?.stop_reason);
  const responseModel = stringOf(metadata?.model_name) ?? stringOf(metadata?.model);
  modelCall.recordResponse({
    ...(responseModel !== undefined && { responseModel }),
    ...(finish !== undefined && { finishReasons: [finish] }),
  });
}

export function modelEnded(runId: string, output: unknown): void {
  const entry = findRun(runId);
  if (entry === undefined || entry.ended) return;
  settle(entry, false);
  recordModelOutput(entry, output);
  entry.modelCall?.end();
}

