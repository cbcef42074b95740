import type { WorkflowOptions } from "@telltale/core";

/** How Telltale treats one function tool (by its name). */
export interface AgentToolOptions {
  /** The tool writes, sends or charges something: it should carry an idempotency key (F8). */
  sideEffect?: boolean;
  /** The idempotency key of one call, from the tool's arguments (parsed JSON); duplicates in a trace are flagged (F8). */
  idempotencyKey?: (input: unknown) => string | undefined;
  /** The tool's own timeout in milliseconds: flagged when longer than the time left before the deadline (F10). */
  timeoutMs?: number;
}

/** What Telltale records for Agents SDK runs beyond what the SDK's spans say. */
export interface TelltaleAgentsOptions {
  /** Per trace name (`"Agent workflow"` unless `run(..., { workflowName })` or `withTrace(name, …)` says otherwise):
   * budget (F9) and deadline (F10) of the run's workflow span. */
  workflows?: Readonly<Record<string, WorkflowOptions>>;
  /** Per function tool name: side effects, idempotency keys and timeouts (F8, F10). */
  tools?: Readonly<Record<string, AgentToolOptions>>;
}

const OPTIONS_SYMBOL = Symbol.for("telltale.openai-agents.options.v1");

type OptionsHolder = Record<symbol, TelltaleAgentsOptions | undefined>;

/**
 * Sets the options of the processor that `@telltale/node` registers (and of `telltaleProcessor()` called without
 * options). Later calls replace earlier ones; traces already started keep theirs.
 */
export function configureAgents(options: TelltaleAgentsOptions): void {
  (globalThis as unknown as OptionsHolder)[OPTIONS_SYMBOL] = { ...options };
}

/** The options `configureAgents` set, shared by the ESM and CJS copies of this package. */
export function configuredOptions(): TelltaleAgentsOptions {
  return (globalThis as unknown as OptionsHolder)[OPTIONS_SYMBOL] ?? {};
}
