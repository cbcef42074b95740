export * from "./attributes.js";
export { VERSION, SCOPE_NAME } from "./version.js";
export {
  classifyError,
  isRecoverable,
  BudgetExceededError,
  DeadlineExceededError,
  type BudgetLimitKind,
  type ErrorClassification,
} from "./errors.js";
export { markKeep, recordError } from "./keep.js";
export { budgetCheck, setDefaultBudget } from "./budget.js";
export { bindContextValue } from "./bound-context.js";
export { createLlmMetrics, type LlmMetrics } from "./metrics.js";
export {
  startLlmCall,
  type LlmAttempt,
  type LlmCall,
  type LlmCallOptions,
  type LlmResponseInfo,
  type LlmUsage,
} from "./llm.js";
export { DEFAULT_PRICES, PRICE_TABLE_DATE, findPrice, costOf, type ModelPrice, type PriceTable } from "./prices.js";
export { getPrices, resetPrices, setPrices } from "./price-table.js";
export type { BudgetMode, BudgetOptions } from "./state.js";
export { setMaxTrackedTraces, trackedTraceCount } from "./trace-state.js";
export { workflow, type WorkflowOptions } from "./workflow.js";
export { step, type StepOptions } from "./step.js";
export { tool, toolResultSoftError, type ToolOptions } from "./tool.js";
export { spawn, type SpawnOptions } from "./spawn.js";
export type { RunContext } from "./run.js";
export { retry, type RetryAttempt, type RetryPolicy } from "./retry.js";
export { inject, extract, type TraceCarrier } from "./propagation.js";
export { fingerprint } from "./fingerprint.js";
export * from "./tool-spans.js";
export * from "./frameworks.js";
