/**
 * The keep rules of {@link KEEP_RULES} compiled for the in-process engine. Span rules look at one finished span: one
 * match is enough to keep the trace, so the processor can decide "keep" the moment such a span ends. Trace rules
 * need the whole trace (its duration).
 */
import { SpanStatusCode, type Attributes, type HrTime } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { ATTR_GEN_AI_WORKFLOW_NAME, KEEP_REASONS, type KeepReason } from "@telltale/core";
import { createBaselineSampler } from "./baseline.js";
import type { KeepRules, SamplingPolicy, SlowRule } from "./policy.js";
import { enabledRules, KEEP_MARK_REASONS_ATTRIBUTE } from "./rules.js";

/** What the trace rules see: the trace's extent and the workflow names on its spans. */
export interface TraceExtent {
  /** Earliest span start. */
  readonly start: HrTime;
  /** Latest span end. */
  readonly end: HrTime;
  /** Distinct `gen_ai.workflow.name` values seen on the trace's spans. */
  readonly workflowNames: readonly string[];
}

/** The part of a finished span the span rules read. */
export interface SpanFacts {
  readonly status: { readonly code: SpanStatusCode };
  readonly attributes: Attributes;
}

export interface CompiledPolicy {
  /** The span rules a span matches, as a bit mask of {@link REASON_BIT}s (0: none). */
  spanMask(span: SpanFacts): number;
  /** The trace rules a trace extent matches, as a bit mask. */
  traceMask(extent: TraceExtent): number;
  /** True when the probabilistic baseline keeps this trace id. */
  baselineKeeps(traceId: string): boolean;
}

/** Bit per keep reason, so a trace's reasons are one number on the hot path. */
export const REASON_BIT: Readonly<Record<KeepReason, number>> = Object.freeze(
  Object.fromEntries(KEEP_REASONS.map((reason, index) => [reason, 1 << index])) as Record<KeepReason, number>,
);

const BIT_OF_REASON = new Map<unknown, number>(KEEP_REASONS.map((reason) => [reason, REASON_BIT[reason]]));

/** The reasons in a bit mask, in {@link KEEP_REASONS} order. */
export function reasonsFromMask(mask: number): KeepReason[] {
  const reasons: KeepReason[] = [];
  for (let index = 0; index < KEEP_REASONS.length; index++) {
    if (mask & (1 << index)) reasons.push(KEEP_REASONS[index] as KeepReason);
  }
  return reasons;
}

/** Bits of the valid reasons listed in a `telltale.keep.reasons` value (anything else is ignored). */
function keepMarkReasonsMask(value: unknown): number {
  if (!Array.isArray(value)) return 0;
  let mask = 0;
  for (const reason of value) mask |= BIT_OF_REASON.get(reason) ?? 0;
  return mask;
}

/** Whole milliseconds from `start` to `end`, truncated, as the collector's latency policy measures them. */
export function durationMs(start: HrTime, end: HrTime): number {
  const nanos = (end[0] - start[0]) * 1e9 + (end[1] - start[1]);
  return Math.floor(nanos / 1e6);
}

/**
 * One function checking every enabled span rule. It runs for every span, so the table is turned into straight-line
 * code once per policy: one fixed attribute read and one bit per rule, with no loop or closure per rule (several
 * times cheaper than walking the table per span). Only the table's own constants go into the generated source.
 */
function compileSpanMask(rules: KeepRules): (span: SpanFacts) => number {
  const lines = ["let mask = 0;", "const attributes = span.attributes;"];
  let keepBit = 0;
  for (const rule of enabledRules(rules)) {
    const bit = REASON_BIT[rule.reason];
    const match = rule.match;
    const read = "attribute" in match ? `attributes[${JSON.stringify(match.attribute)}]` : "";
    switch (match.kind) {
      case "status_error":
        lines.push(`if (span.status.code === ${SpanStatusCode.ERROR}) mask |= ${bit};`);
        break;
      case "boolean_true":
        lines.push(`if (${read} === true) mask |= ${bit};`);
        if (rule.reason === "keep") keepBit = bit;
        break;
      case "present":
        lines.push(`if (${read} !== undefined) mask |= ${bit};`);
        break;
      case "string_equals":
        lines.push(`if (${read} === ${JSON.stringify(match.value)}) mask |= ${bit};`);
        break;
      case "integer_at_least": {
        const min = minimumOf(rules, rule.policyKey);
        lines.push(`{ const value = ${read}; if (typeof value === "number" && value >= ${min} && Number.isInteger(value)) mask |= ${bit}; }`);
        break;
      }
      case "duration_over":
        break;
    }
  }
  if (keepBit !== 0) {
    lines.push(`if ((mask & ${keepBit}) !== 0) mask |= keepMarks(attributes[${JSON.stringify(KEEP_MARK_REASONS_ATTRIBUTE)}]);`);
  }
  lines.push("return mask;");
  const build = new Function("keepMarks", `return function spanMask(span) {\n${lines.join("\n")}\n};`) as (
    keepMarks: (value: unknown) => number,
  ) => (span: SpanFacts) => number;
  return build(keepMarkReasonsMask);
}

/** The configured minimum of an `integer_at_least` rule. */
function minimumOf(rules: KeepRules, key: keyof KeepRules): number {
  const value = rules[key];
  return typeof value === "object" && value !== null && "min" in value ? value.min : Infinity;
}

function compileTraceMask(rules: KeepRules): (extent: TraceExtent) => number {
  const checks: ((extent: TraceExtent) => number)[] = [];
  for (const rule of enabledRules(rules)) {
    if (rule.match.kind !== "duration_over") continue;
    const slow = rules[rule.policyKey] as SlowRule;
    const bit = REASON_BIT[rule.reason];
    checks.push((extent) => (durationMs(extent.start, extent.end) > slowThreshold(slow, extent.workflowNames) ? bit : 0));
  }
  return (extent) => {
    let mask = 0;
    for (const check of checks) mask |= check(extent);
    return mask;
  };
}

/** The slow threshold for a trace: with several workflows in one trace the strictest override applies (a slow
 * inner workflow is still slow). */
function slowThreshold(rule: SlowRule, workflowNames: readonly string[]): number {
  let override: number | undefined;
  for (const name of workflowNames) {
    const value = Object.hasOwn(rule.workflows, name) ? rule.workflows[name] : undefined;
    if (value !== undefined && (override === undefined || value < override)) override = value;
  }
  return override ?? rule.thresholdMs;
}

/** Builds the evaluators for a policy. */
export function compilePolicy(policy: SamplingPolicy): CompiledPolicy {
  const baseline = createBaselineSampler(policy.baseline.percentage, policy.baseline.hashSalt);
  return {
    spanMask: compileSpanMask(policy.rules),
    traceMask: compileTraceMask(policy.rules),
    baselineKeeps: (traceId) => baseline.keeps(traceId),
  };
}

const NO_WORKFLOWS: string[] = [];

/** Mutable extent the processor grows span by span. Times are kept as plain numbers (no array per span on the hot
 * path); `start` and `end` build the HrTime pairs when a trace rule asks. */
export class ExtentTracker implements TraceExtent {
  private startSeconds: number;
  private startNanos: number;
  private endSeconds: number;
  private endNanos: number;
  // Most traces carry no workflow name: share one empty array until one shows up.
  workflowNames: string[] = NO_WORKFLOWS;

  constructor(start: HrTime, end: HrTime, attributes: Attributes) {
    this.startSeconds = start[0];
    this.startNanos = start[1];
    this.endSeconds = end[0];
    this.endNanos = end[1];
    this.noteWorkflow(attributes);
  }

  get start(): HrTime {
    return [this.startSeconds, this.startNanos];
  }

  get end(): HrTime {
    return [this.endSeconds, this.endNanos];
  }

  add(start: HrTime, end: HrTime, attributes: Attributes): void {
    if (start[0] < this.startSeconds || (start[0] === this.startSeconds && start[1] < this.startNanos)) {
      this.startSeconds = start[0];
      this.startNanos = start[1];
    }
    if (end[0] > this.endSeconds || (end[0] === this.endSeconds && end[1] > this.endNanos)) {
      this.endSeconds = end[0];
      this.endNanos = end[1];
    }
    this.noteWorkflow(attributes);
  }

  private noteWorkflow(attributes: Attributes): void {
    const name = attributes[ATTR_GEN_AI_WORKFLOW_NAME];
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
  const compiled = "spanMask" in policy ? policy : compilePolicy(policy);
  const first = spans[0];
  if (first === undefined) return { keep: false, reasons: [] };
  const extent = new ExtentTracker(first.startTime, first.endTime, first.attributes);
  let mask = 0;
  for (const span of spans) {
    extent.add(span.startTime, span.endTime, span.attributes);
    mask |= compiled.spanMask(span);
  }
  mask |= compiled.traceMask(extent);
  if (mask === 0 && compiled.baselineKeeps(first.spanContext().traceId)) mask = REASON_BIT.baseline;
  return { keep: mask !== 0, reasons: reasonsFromMask(mask) };
}
