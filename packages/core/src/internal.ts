// Everything @telltale/core implements, bundled once: the root entry (the user API) and `./instrumentation` (what an
// instrumentation builds on) pick their names from here, so both, in both formats, share one copy of the context
// keys, tables and classes. Not a public entry: it exports every module whole.
export * from "./attempts.js";
export * from "./attributes.js";
export * from "./bound-context.js";
export * from "./budget.js";
export * from "./call-sites.js";
export * from "./deadline.js";
export * from "./diag.js";
export * from "./error-codes.js";
export * from "./errors.js";
export * from "./fingerprint.js";
export * from "./idempotency.js";
export * from "./keep.js";
export * from "./llm.js";
export * from "./manual-spans.js";
export * from "./metrics.js";
export * from "./model-calls.js";
export * from "./options.js";
export * from "./price-table.js";
export * from "./prices.js";
export * from "./propagation.js";
export * from "./retry.js";
export * from "./run.js";
export * from "./safe.js";
export * from "./semconv.js";
export * from "./soft-errors.js";
export * from "./spawn.js";
export * from "./state.js";
export * from "./step.js";
export * from "./timers.js";
export * from "./tool.js";
export * from "./tool-spans.js";
export * from "./trace-state.js";
export * from "./version.js";
export * from "./work.js";
export * from "./workflow.js";
