/**
 * The keep rules as data: one entry per rule says which attribute it reads, how it matches, how it renders as a
 * collector `tail_sampling` policy and how a person reads it. The in-process evaluators (`compilePolicy`), the
 * collector renderer (`renderCollectorConfig`), the documentation and anything that explains a kept trace or a span
 * (`spanKeepReasons`: `@telltale/node`'s trace trees, the demo's report) and the policy's parsing and defaults are all
 * driven by this table. Adding a rule is one entry here, its key in the policy's `KeepRules` type (where users read
 * what it does), and its tests.
 */
import {
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_DEADLINE_EXCEEDED,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_IDEMPOTENCY_MISSING,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_KEEP_REASONS,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_RETRY_ARGS_CHANGED,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_RETRY_NON_RECOVERABLE,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  type KeepReason,
} from "@telltale/core/attributes";
import type { KeepRules } from "./policy.js";

/** How a rule matches. Span matches look at one finished span; `duration_over` needs the whole trace. */
export type RuleMatch =
  /** The span's status is ERROR. */
  | { readonly kind: "status_error" }
  /** The attribute is the boolean `true`. */
  | { readonly kind: "boolean_true"; readonly attribute: string }
  /** The attribute is exactly this string. */
  | { readonly kind: "string_equals"; readonly attribute: string; readonly value: string }
  /** The attribute is present, with any value. */
  | { readonly kind: "present"; readonly attribute: string }
  /** The attribute is an integer at least the rule's `min` (the collector reads integers only). */
  | { readonly kind: "integer_at_least"; readonly attribute: string }
  /** Earliest span start to latest span end, in whole ms, is over the rule's `thresholdMs`. */
  | { readonly kind: "duration_over" };

export interface KeepRule {
  /** The key under the policy's `rules` section that turns it on and configures it. */
  readonly policyKey: keyof KeepRules;
  /** The reason a trace it keeps carries in `telltale.sampling.reasons`. */
  readonly reason: KeepReason;
  readonly match: RuleMatch;
  /** The collector policy's name, after the configured prefix (`telltale-` by default). */
  readonly collectorName: string;
  /** How a person reads a match, completing "kept because …". */
  readonly reads: string;
}

/** Every keep rule, in the order the collector policies are rendered. */
export const KEEP_RULES: readonly KeepRule[] = Object.freeze([
  {
    policyKey: "error",
    reason: "error",
    match: { kind: "status_error" },
    collectorName: "error",
    reads: "a span ended with status ERROR",
  },
  {
    policyKey: "slow",
    reason: "slow",
    match: { kind: "duration_over" },
    collectorName: "slow",
    reads: "the trace took longer than the slow threshold",
  },
  {
    policyKey: "budgetExceeded",
    reason: "budget_exceeded",
    match: { kind: "boolean_true", attribute: ATTR_TELLTALE_BUDGET_EXCEEDED },
    collectorName: "budget-exceeded",
    reads: "a token or cost budget was exceeded",
  },
  {
    policyKey: "partial",
    reason: "partial",
    match: { kind: "string_equals", attribute: ATTR_TELLTALE_WORKFLOW_OUTCOME, value: "partial" },
    collectorName: "partial",
    reads: "a workflow ended without all of its steps",
  },
  {
    policyKey: "softError",
    reason: "soft_error",
    match: { kind: "present", attribute: ATTR_TELLTALE_SOFT_ERROR },
    collectorName: "soft-error",
    reads: "a call failed without raising (truncated, refused, empty, …)",
  },
  {
    policyKey: "retries",
    reason: "retried",
    match: { kind: "integer_at_least", attribute: ATTR_TELLTALE_RETRY_COUNT },
    collectorName: "retried",
    reads: "a call was retried",
  },
  {
    policyKey: "late",
    reason: "late",
    match: { kind: "boolean_true", attribute: ATTR_TELLTALE_LATE },
    collectorName: "late",
    reads: "work finished after its workflow had ended",
  },
  {
    policyKey: "orphan",
    reason: "orphan",
    match: { kind: "boolean_true", attribute: ATTR_TELLTALE_ORPHAN },
    collectorName: "orphan",
    reads: "work ran without the trace context it should have had",
  },
  {
    policyKey: "duplicate",
    reason: "duplicate",
    match: { kind: "boolean_true", attribute: ATTR_TELLTALE_DUPLICATE },
    collectorName: "duplicate",
    reads: "a side effect ran twice",
  },
  {
    policyKey: "keep",
    reason: "keep",
    match: { kind: "boolean_true", attribute: ATTR_TELLTALE_KEEP },
    collectorName: "keep",
    reads: "the application marked the trace worth keeping",
  },
] satisfies KeepRule[]);

/**
 * The attribute holding why a span was marked with `telltale.keep` (values of `KeepReason`): the keep rule's trace
 * is also counted and stamped under each of them, so a trace kept for a missed deadline says `deadline_exceeded`.
 */
export const KEEP_MARK_REASONS_ATTRIBUTE = ATTR_TELLTALE_KEEP_REASONS;

/** A keep reason that is no rule of its own: the application's keep mark (`telltale.keep`, rule `keep`) carries it
 * in `telltale.keep.reasons`, and the span also records it as a boolean attribute. */
export interface MarkedReason {
  readonly reason: KeepReason;
  /** The boolean attribute that is `true` on a span showing it. */
  readonly attribute: string;
  /** How a person reads it, completing "kept because …". */
  readonly reads: string;
}

/** Every keep reason only keep marks carry. */
export const MARKED_REASONS: readonly MarkedReason[] = Object.freeze([
  { reason: "non_recoverable_retry", attribute: ATTR_TELLTALE_RETRY_NON_RECOVERABLE, reads: "an error that cannot succeed on retry was retried" },
  { reason: "deadline_exceeded", attribute: ATTR_TELLTALE_DEADLINE_EXCEEDED, reads: "a workflow or step ran past its deadline" },
  { reason: "idempotency_missing", attribute: ATTR_TELLTALE_IDEMPOTENCY_MISSING, reads: "a side effect ran without an idempotency key" },
  { reason: "args_changed", attribute: ATTR_TELLTALE_RETRY_ARGS_CHANGED, reads: "a retry passed with changed arguments" },
] satisfies MarkedReason[]);

/** How a person reads a keep reason, including those only the application's keep marks carry. */
export const REASON_READS: Readonly<Record<KeepReason, string>> = Object.freeze({
  ...(Object.fromEntries(KEEP_RULES.map((rule) => [rule.reason, rule.reads])) as Record<string, string>),
  ...(Object.fromEntries(MARKED_REASONS.map((marked) => [marked.reason, marked.reads])) as Record<string, string>),
  baseline: "the probabilistic baseline of healthy traces",
} as Record<KeepReason, string>);

/** The rules a policy turns on, in table order. */
export function enabledRules(rules: KeepRules): KeepRule[] {
  return KEEP_RULES.filter((rule) => rules[rule.policyKey] !== false);
}
