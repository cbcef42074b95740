/**
 * Why a span or a trace was kept, as data: the keep rules (the attribute each reads, how it matches, how a person
 * reads it) and the reasons a span carries. For tools that explain a kept trace, such as `@telltale/node`'s trace
 * tree and the demo's report.
 *
 * `@telltale/sampler/explain`
 */
export { KEEP_RULES, MARKED_REASONS, REASON_READS, type KeepRule, type MarkedReason, type RuleMatch } from "./rules.js";
export { spanKeepReasons } from "./span-reasons.js";
