/**
 * The callback handler: LangChain's documented extension point. It is a plain object with the members LangChain
 * looks for (`name`, `awaitHandlers`, `copy`, the `handle*` methods), not a subclass of LangChain's
 * `BaseCallbackHandler`: the ESM and CJS builds of `@langchain/core` do not share classes, and a plain handler works
 * with both, whichever one the app loaded.
 */
import {
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
} from "@telltale/core/attributes";
import { fieldsOf, stringOf, stringsOf } from "./fields.js";
import { chainEnded, chainFailed, chainStarted, modelEnded, modelStarted, runFailed, toolEnded, toolStarted } from "./mapping.js";
import { configuredOptions, type TelltaleLangChainOptions } from "./options.js";
import { installCallSiteResolver } from "./resolver.js";
import { findRun } from "./runs.js";
import { LANGCHAIN_DIAG } from "./diag.js";

/** The handler's name: LangChain adds a handler of a name once, so the global one and `telltale()` never double up. */
export const HANDLER_NAME = "telltale";

function guarded(what: string, work: () => void): void {
  try {
    work();
  } catch (failure) {
    LANGCHAIN_DIAG.error(`${what} failed`, failure);
  }
}

/**
 * Turns LangChain and LangGraph runs into Telltale spans: the top-level run is a workflow (`invoke_agent {name}`),
 * graph nodes and top-level sequence steps are steps, tools are tool spans (F5, F8, F10), `withRetry` is a retry span
 * (F1–F3), and chat models are one LLM span each, which the instrumented `openai` / `@anthropic-ai/sdk` calls made by
 * the model join (with `AsyncCaller` retries as attempts). Never throws into LangChain.
 *
 * Pass it as `callbacks: [telltale()]`, or let `@telltale/node` register it for every run.
 */
export class TelltaleCallbackHandler {
  readonly name = HANDLER_NAME;
  /** LangChain awaits the handler before the run goes on: the spans then exist before the work they cover starts,
   * and the active context the handler sees is the caller's. */
  readonly awaitHandlers = true;
  readonly raiseError = false;
  readonly ignoreLLM = false;
  readonly ignoreChain = false;
  readonly ignoreAgent = false;
  readonly ignoreRetriever = true;
  readonly ignoreRetry = true;
  readonly ignoreCustomEvent = true;
  private readonly options: TelltaleLangChainOptions | undefined;

  /** Without `options`, the options of {@link configureLangChain} apply, read when each run starts. */
  constructor(options?: TelltaleLangChainOptions) {
    this.options = options;
    installCallSiteResolver();
  }

  /** LangChain copies handlers into child run managers; this one holds no per-run state of its own. */
  copy(): this {
    return this;
  }

  private currentOptions(): TelltaleLangChainOptions {
    return this.options ?? configuredOptions();
  }

  // LangChain calls it with (chain, inputs, runId, parentRunId, tags, metadata, runType, runName, extra), whatever
  // its type declaration says.
  handleChainStart(chain: unknown, inputs: unknown, runId: unknown, parentRunId?: unknown, tags?: unknown, metadata?: unknown, _runType?: unknown, runName?: unknown): void {
    guarded("handleChainStart", () => {
      if (typeof runId !== "string" || findRun(runId) !== undefined) return;
      chainStarted(chain, inputs, runId, parentRunId, stringsOf(tags), fieldsOf(metadata), stringOf(runName), this.currentOptions());
    });
  }

  handleChainEnd(outputs: unknown, runId: unknown): void {
    guarded("handleChainEnd", () => {
      if (typeof runId === "string") chainEnded(runId, outputs);
    });
  }

  handleChainError(error: unknown, runId: unknown): void {
    guarded("handleChainError", () => {
      if (typeof runId === "string") chainFailed(runId, error);
    });
  }

  // (tool, input, runId, parentRunId, tags, metadata, runName, toolCallId): the tool call id comes last.
  handleToolStart(tool: unknown, input: unknown, runId: unknown, parentRunId?: unknown, _tags?: unknown, metadata?: unknown, runName?: unknown, toolCallId?: unknown): void {
    guarded("handleToolStart", () => {
      if (typeof runId !== "string" || findRun(runId) !== undefined) return;
      toolStarted(tool, input, runId, parentRunId, fieldsOf(metadata), stringOf(runName), toolCallId, this.currentOptions());
    });
  }

  handleToolEnd(output: unknown, runId: unknown): void {
    guarded("handleToolEnd", () => {
      if (typeof runId === "string") toolEnded(runId, output);
    });
  }

  handleToolError(error: unknown, runId: unknown): void {
    guarded("handleToolError", () => {
      if (typeof runId === "string") runFailed(runId, error);
    });
  }

  handleChatModelStart(llm: unknown, _messages: unknown, runId: unknown, parentRunId?: unknown, extraParams?: unknown, _tags?: unknown, metadata?: unknown): void {
    guarded("handleChatModelStart", () => {
      if (typeof runId !== "string" || findRun(runId) !== undefined) return;
      modelStarted(llm, runId, parentRunId, fieldsOf(extraParams), fieldsOf(metadata), GEN_AI_OPERATION_NAME_VALUE_CHAT);
    });
  }

  handleLLMStart(llm: unknown, _prompts: unknown, runId: unknown, parentRunId?: unknown, extraParams?: unknown, _tags?: unknown, metadata?: unknown): void {
    guarded("handleLLMStart", () => {
      if (typeof runId !== "string" || findRun(runId) !== undefined) return;
      modelStarted(llm, runId, parentRunId, fieldsOf(extraParams), fieldsOf(metadata), GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION);
    });
  }

  handleLLMEnd(output: unknown, runId: unknown): void {
    guarded("handleLLMEnd", () => {
      if (typeof runId === "string") modelEnded(runId, output);
    });
  }

  handleLLMError(error: unknown, runId: unknown): void {
    guarded("handleLLMError", () => {
      if (typeof runId === "string") runFailed(runId, error);
    });
  }
}

/** A Telltale callback handler: `graph.invoke(input, { callbacks: [telltale()] })`. */
export function telltale(options?: TelltaleLangChainOptions): TelltaleCallbackHandler {
  return new TelltaleCallbackHandler(options);
}
