import type { WorkflowOptions } from "@telltale/core";

/** How Telltale treats one LangChain tool (by its name). */
export interface LangChainToolOptions {
  /** The tool writes, sends or charges something: it should carry an idempotency key (F8). */
  sideEffect?: boolean;
  /** The idempotency key of one call, from the tool's input (parsed from JSON when it is JSON); duplicates of the
   * same key in one trace are flagged `telltale.duplicate` (F8). */
  idempotencyKey?: (input: unknown) => string | undefined;
  /** The tool's own timeout in milliseconds: flagged when longer than the time left before the run's deadline (F10). */
  timeoutMs?: number;
}

/** What Telltale records for LangChain and LangGraph runs beyond what the callbacks say. */
export interface TelltaleLangChainOptions {
  /**
   * Per top-level run name (a graph's name, `"LangGraph"` unless compiled or configured with another, or a chain's
   * `runName`): the steps (graph nodes, sequence steps) it is expected to run (F6), its budget (F9) and deadline
   * (F10). Without `deadlineMs`, the run's own `timeout` is its deadline.
   */
  workflows?: Readonly<Record<string, WorkflowOptions>>;
  /** Per tool name: side effects, idempotency keys and timeouts (F8, F10). */
  tools?: Readonly<Record<string, LangChainToolOptions>>;
}

const OPTIONS_SYMBOL = Symbol.for("telltale.langchain.options.v1");

type OptionsHolder = Record<symbol, TelltaleLangChainOptions | undefined>;

/**
 * Sets the options of the handler that `@telltale/node` registers for every LangChain run (and of `telltale()`
 * called without options). Later calls replace earlier ones; runs already started keep theirs.
 */
export function configureLangChain(options: TelltaleLangChainOptions): void {
  (globalThis as unknown as OptionsHolder)[OPTIONS_SYMBOL] = { ...options };
}

/** The options `configureLangChain` set, shared by the ESM and CJS copies of this package. */
export function configuredOptions(): TelltaleLangChainOptions {
  return (globalThis as unknown as OptionsHolder)[OPTIONS_SYMBOL] ?? {};
}
