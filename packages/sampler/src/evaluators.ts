/**
 * One evaluator per rule type (as the collector's tailsamplingprocessor has one evaluator per policy type).
 * Span evaluators look at one finished span: one match is enough to keep the trace, so the processor can decide
 * "keep" the moment such a span ends. Trace evaluators need the whole trace (its duration).
 */
import { SpanStatusCode, type HrTime } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import {
  ATTR_GEN_AI_WORKFLOW_NAME,
  ATTR_TELLTALE_BUDGET_EXCEEDED,
  ATTR_TELLTALE_DUPLICATE,
  ATTR_TELLTALE_KEEP,
  ATTR_TELLTALE_LATE,
  ATTR_TELLTALE_ORPHAN,
  ATTR_TELLTALE_RETRY_COUNT,
  ATTR_TELLTALE_SOFT_ERROR,
  ATTR_TELLTALE_WORKFLOW_OUTCOME,
  KEEP_REASONS,
  type KeepReason,
} from "@telltale/core";
import { createBaselineSampler } from "./baseline.js";
import type { SamplingPolicy, SlowRule } from "./policy.js";

/** Decides from a single finished span. */
export interface SpanRuleEvaluator {
  readonly reason: KeepReason;
  matches(span: ReadableSpan): boolean;
}

/** What the trace evaluators see: the trace's extent and the workflow names on its spans. */
export interface TraceExtent {
  /** Earliest span start. */
  readonly start: HrTime;
  /** Latest span end. */
  readonly end: HrTime;
  /** Distinct `gen_ai.workflow.name` values seen on the trace's spans. */
  readonly workflowNames: readonly string[];
}

/** Decides from the whole (buffered) trace. */
export interface TraceRuleEvaluator {
  readonly reason: KeepReason;
  matches(trace: TraceExtent): boolean;
}

export interface CompiledPolicy {
  readonly policy: SamplingPolicy;
  readonly spanEvaluators: readonly SpanRuleEvaluator[];
  readonly traceEvaluators: readonly TraceRuleEvaluator[];
  /** True when the probabilistic baseline keeps this trace id. */
  baselineKeeps(traceId: string): boolean;
  /** All span evaluators at once, as a bit mask of {@link REASON_BIT}s (same result as running each). */
  spanMask(span: ReadableSpan): number;
}

function booleanAttribute(reason: KeepReason, key: string): SpanRuleEvaluator {
  return { reason, matches: (span) => span.attributes[key] === true };
}

/** Whole milliseconds from `start` to `end`, truncated, as the collector's latency policy measures them. */
export function durationMs(start: HrTime, end: HrTime): number {
  const nanos = (end[0] - start[0]) * 1e9 + (end[1] - start[1]);
  return Math.floor(nanos / 1e6);
}

function slowEvaluator(rule: SlowRule): TraceRuleEvaluator {
  const overrides = Object.keys(rule.workflows).length > 0 ? rule.workflows : undefined;
  return {
    reason: "slow",
    matches(trace) {
      let threshold = rule.thresholdMs;
      if (overrides) {
        // With several workflows in one trace the strictest override applies: a slow inner workflow is still slow.
        let override: number | undefined;
        for (const name of trace.workflowNames) {
          const value = overrides[name];
          if (value !== undefined && (override === undefined || value < override)) override = value;
        }
        if (override !== undefined) threshold = override;
      }
      return durationMs(trace.start, trace.end) > threshold;
    },
  };
}

/** Builds the evaluators for a policy, in the order of {@link KEEP_REASONS}. */
export function compilePolicy(policy: SamplingPolicy): CompiledPolicy {
  const { rules } = policy;
  const spanEvaluators: SpanRuleEvaluator[] = [];
  if (rules.error) spanEvaluators.push({ reason: "error", matches: (span) => span.status.code === SpanStatusCode.ERROR });
  if (rules.softError) {
    spanEvaluators.push({ reason: "soft_error", matches: (span) => span.attributes[ATTR_TELLTALE_SOFT_ERROR] !== undefined });
  }
  const retries = rules.retries;
  if (retries !== false) {
    spanEvaluators.push({
      reason: "retried",
      matches(span) {
        // The collector's numeric_attribute policy only reads integer values; a double never matches there.
        const value = span.attributes[ATTR_TELLTALE_RETRY_COUNT];
        return typeof value === "number" && Number.isInteger(value) && value >= retries.min;
      },
    });
  }
  if (rules.budgetExceeded) spanEvaluators.push(booleanAttribute("budget_exceeded", ATTR_TELLTALE_BUDGET_EXCEEDED));
  if (rules.partial) {
    spanEvaluators.push({ reason: "partial", matches: (span) => span.attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME] === "partial" });
  }
  if (rules.late) spanEvaluators.push(booleanAttribute("late", ATTR_TELLTALE_LATE));
  if (rules.orphan) spanEvaluators.push(booleanAttribute("orphan", ATTR_TELLTALE_ORPHAN));
  if (rules.duplicate) spanEvaluators.push(booleanAttribute("duplicate", ATTR_TELLTALE_DUPLICATE));
  if (rules.keep) spanEvaluators.push(booleanAttribute("keep", ATTR_TELLTALE_KEEP));

  const traceEvaluators: TraceRuleEvaluator[] = [];
  if (rules.slow !== false) traceEvaluators.push(slowEvaluator(rules.slow));

  const baseline = createBaselineSampler(policy.baseline.percentage, policy.baseline.hashSalt);
  return {
    policy,
    spanEvaluators,
    traceEvaluators,
    baselineKeeps: (traceId) => baseline.keeps(traceId),
    spanMask: fuseSpanEvaluators(policy),
  };
}

/** Bit per keep reason, so a trace's reasons are one number on the hot path. */
export const REASON_BIT: Readonly<Record<KeepReason, number>> = Object.freeze(
  Object.fromEntries(KEEP_REASONS.map((reason, index) => [reason, 1 << index])) as Record<KeepReason, number>,
);

/** The reasons in a bit mask, in {@link KEEP_REASONS} order. */
export function reasonsFromMask(mask: number): KeepReason[] {
  const reasons: KeepReason[] = [];
  for (let index = 0; index < KEEP_REASONS.length; index++) {
    if (mask & (1 << index)) reasons.push(KEEP_REASONS[index] as KeepReason);
  }
  return reasons;
}

/** The span rules a span matches, as a bit mask (0: none). */
export function evaluateSpan(compiled: CompiledPolicy, span: ReadableSpan): number {
  return compiled.spanMask(span);
}

/**
 * The span evaluators fused into one straight-line function: this runs for every span, and one function with
 * fixed attribute names is several times cheaper than a loop of closures doing keyed lookups.
 */
function fuseSpanEvaluators(policy: SamplingPolicy): (span: ReadableSpan) => number {
  const { rules } = policy;
  const error = rules.error ? REASON_BIT.error : 0;
  const softError = rules.softError ? REASON_BIT.soft_error : 0;
  const retried = rules.retries === false ? 0 : REASON_BIT.retried;
  const minRetries = rules.retries === false ? Infinity : rules.retries.min;
  const budget = rules.budgetExceeded ? REASON_BIT.budget_exceeded : 0;
  const partial = rules.partial ? REASON_BIT.partial : 0;
  const late = rules.late ? REASON_BIT.late : 0;
  const orphan = rules.orphan ? REASON_BIT.orphan : 0;
  const duplicate = rules.duplicate ? REASON_BIT.duplicate : 0;
  const keep = rules.keep ? REASON_BIT.keep : 0;
  return (span) => {
    let mask = span.status.code === SpanStatusCode.ERROR ? error : 0;
    const attributes = span.attributes;
    if (attributes[ATTR_TELLTALE_SOFT_ERROR] !== undefined) mask |= softError;
    const retries = attributes[ATTR_TELLTALE_RETRY_COUNT];
    if (typeof retries === "number" && retries >= minRetries && Number.isInteger(retries)) mask |= retried;
    if (attributes[ATTR_TELLTALE_BUDGET_EXCEEDED] === true) mask |= budget;
    if (attributes[ATTR_TELLTALE_WORKFLOW_OUTCOME] === "partial") mask |= partial;
    if (attributes[ATTR_TELLTALE_LATE] === true) mask |= late;
    if (attributes[ATTR_TELLTALE_ORPHAN] === true) mask |= orphan;
    if (attributes[ATTR_TELLTALE_DUPLICATE] === true) mask |= duplicate;
    if (attributes[ATTR_TELLTALE_KEEP] === true) mask |= keep;
    return mask;
  };
}

/** The trace rules a trace extent matches, as a bit mask. */
export function evaluateExtent(compiled: CompiledPolicy, extent: TraceExtent): number {
  let mask = 0;
  for (const evaluator of compiled.traceEvaluators) {
    if (evaluator.matches(extent)) mask |= REASON_BIT[evaluator.reason];
  }
  return mask;
}

function isEarlier(a: HrTime, b: HrTime): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

const NO_WORKFLOWS: string[] = [];

/** Mutable extent the processor grows span by span. */
export class ExtentTracker implements TraceExtent {
  start: HrTime;
  end: HrTime;
  // Most traces carry no workflow name: share one empty array until one shows up.
  workflowNames: string[] = NO_WORKFLOWS;

  constructor(span: ReadableSpan) {
    this.start = span.startTime;
    this.end = span.endTime;
    this.noteWorkflow(span);
  }

  add(span: ReadableSpan): void {
    if (isEarlier(span.startTime, this.start)) this.start = span.startTime;
    if (isEarlier(this.end, span.endTime)) this.end = span.endTime;
    this.noteWorkflow(span);
  }

  private noteWorkflow(span: ReadableSpan): void {
    const name = span.attributes[ATTR_GEN_AI_WORKFLOW_NAME];
    // A handful of names is plenty; the cap keeps a pathological trace from growing this without bound.
    if (typeof name === "string" && this.workflowNames.length < 8 && !this.workflowNames.includes(name)) {
      this.workflowNames = [...this.workflowNames, name];
    }
  }
}

/** The decision for a complete trace, as the in-process engine makes it. */
export interface TraceDecision {
  readonly keep: boolean;
  /** Why it was kept, in {@link KEEP_REASONS} order; `["baseline"]` when only the baseline kept it; empty if dropped. */
  readonly reasons: KeepReason[];
}

/** Evaluates a complete trace against a policy (the reference the processor and the corpus are held to). */
export function decideTrace(policy: SamplingPolicy | CompiledPolicy, spans: readonly ReadableSpan[]): TraceDecision {
  const compiled = "spanEvaluators" in policy ? policy : compilePolicy(policy);
  const first = spans[0];
  if (first === undefined) return { keep: false, reasons: [] };
  const extent = new ExtentTracker(first);
  let mask = 0;
  for (const span of spans) {
    extent.add(span);
    mask |= evaluateSpan(compiled, span);
  }
  mask |= evaluateExtent(compiled, extent);
  if (mask === 0 && compiled.baselineKeeps(first.spanContext().traceId)) mask = REASON_BIT.baseline;
  return { keep: mask !== 0, reasons: reasonsFromMask(mask) };
}
