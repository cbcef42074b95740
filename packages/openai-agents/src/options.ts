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
