/**
 * The keep rules of {@link KEEP_RULES} compiled for the in-process engine. Span rules look at one finished span: one
 * match is enough to keep the trace, so the processor can decide "keep" the moment such a span ends. Trace rules
 * need the whole trace (its duration).
 */
import { SpanStatusCode, type Attributes, type HrTime } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { ATTR_GEN_AI_WORKFLOW_NAME, KEEP_REASONS, type KeepReason } from "@telltale/core/attributes";
import { createBaselineSampler } from "./baseline.js";
import type { KeepRules, SamplingPolicy, SlowRule } from "./policy.js";
import { enabledRules, KEEP_MARK_REASONS_ATTRIBUTE } from "./rules.js";
import { attributeBytes, hrTimeOf, recordSpan, type SpanTimes } from "./span-record.js";

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

/** How one attribute is checked: a span rule's match with the policy's constants, or the workflow name read for
 * per-workflow slow thresholds. Every field is always present, so the checks share one object shape. */
interface AttributeCheck {
  readonly attribute: string;
  readonly kind: "boolean_true" | "string_equals" | "present" | "integer_at_least" | "workflow_name";
  /** The rule's bit (0 for the workflow name). */
  readonly bit: number;
  /** `string_equals`: the value to equal. */
  readonly value: string;
  /** `integer_at_least`: the configured minimum. */
  readonly min: number;
}

/** The bit a rule's check earns for an attribute's value: the one fused check over the table's match kinds. */
function matchBit(check: AttributeCheck, value: unknown): number {
  switch (check.kind) {
    case "boolean_true":
      return value === true ? check.bit : 0;
    case "string_equals":
      return value === check.value ? check.bit : 0;
    case "present":
      return value !== undefined ? check.bit : 0;
    case "integer_at_least":
      return typeof value === "number" && value >= check.min && Number.isInteger(value) ? check.bit : 0;
    case "workflow_name":
      return 0;
  }
}

/**
 * The span rules of a policy, read in one pass over a finished span's attributes. The pass also estimates the
 * span's heap (span-record.ts) and picks up its workflow name, so the processor walks each span's attributes once.
 *
 * Why a pass over the span's attributes rather than one read per rule: a read of an attribute the span does not
 * have is the common case, and without generated code (no `new Function`: it fails under
 * `--disallow-code-generation-from-strings`) each such read is a generic keyed lookup up the prototype chain,
 * about 25 ns once spans of many shapes go by. Walking the span's own attributes costs a little per attribute
 * instead, and the walk is needed for the byte estimate anyway. An attribute is compared with the checks of names
 * of its length only (an array read), so most are passed over at once.
 */
export class SpanReader {
  /** Estimated heap bytes of the attributes of the span read last (span-record.ts adds the rest). */
  bytes = 0;
  /** The `gen_ai.workflow.name` of the span read last, when the policy needs workflow names. */
  workflowName: string | undefined = undefined;
  private readonly errorBit: number;
  private readonly keepBit: number;
  /** Checks by the length of the attribute name they read. */
  private readonly checksByLength: (readonly AttributeCheck[] | undefined)[] = [];

  constructor(rules: KeepRules) {
    let errorBit = 0;
    let keepBit = 0;
    const checks: AttributeCheck[] = [];
    for (const rule of enabledRules(rules)) {
      const bit = REASON_BIT[rule.reason];
      const match = rule.match;
      if (match.kind === "status_error") errorBit |= bit;
      if (!("attribute" in match)) continue;
      const value = match.kind === "string_equals" ? match.value : "";
      checks.push({ attribute: match.attribute, kind: match.kind, bit, value, min: minimumOf(rules, rule.policyKey) });
      // The keep rule also counts the reasons its marks name (telltale.keep.reasons).
      if (rule.reason === "keep") keepBit = bit;
    }
    if (rules.slow !== false && Object.keys(rules.slow.workflows).length > 0) {
      checks.push({ attribute: ATTR_GEN_AI_WORKFLOW_NAME, kind: "workflow_name", bit: 0, value: "", min: 0 });
    }
    for (const check of checks) {
      const length = check.attribute.length;
      this.checksByLength[length] = [...(this.checksByLength[length] ?? []), check];
    }
    // Holes read as undefined at the same cost, but a packed array keeps the read monomorphic.
    for (let length = 0; length < this.checksByLength.length; length++) this.checksByLength[length] ??= undefined;
    this.errorBit = errorBit;
    this.keepBit = keepBit;
  }

  /** The span rules `span` matches, as a bit mask of {@link REASON_BIT}s (0: none); sets `bytes` and `workflowName`. */
  read(span: SpanFacts): number {
    const attributes = span.attributes;
    let mask = span.status.code === SpanStatusCode.ERROR ? this.errorBit : 0;
    let bytes = 0;
    let workflowName: string | undefined;
    const checksByLength = this.checksByLength;
    for (const key in attributes) {
      const value = attributes[key];
      bytes += attributeBytes(value);
      const checks = checksByLength[key.length];
      if (checks === undefined) continue;
      for (let index = 0; index < checks.length; index++) {
        const check = checks[index] as AttributeCheck;
        if (check.attribute !== key) continue;
        if (check.kind === "workflow_name") workflowName = typeof value === "string" ? value : undefined;
        else mask |= matchBit(check, value);
      }
    }
    if ((mask & this.keepBit) !== 0) mask |= keepMarkReasonsMask(attributes[KEEP_MARK_REASONS_ATTRIBUTE]);
    this.bytes = bytes;
    this.workflowName = workflowName;
    return mask;
  }
}

/** The configured minimum of an `integer_at_least` rule (Infinity for other rules: never read). */
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
  const reader = new SpanReader(policy.rules);
  return {
    spanMask: (span) => reader.read(span),
    traceMask: compileTraceMask(policy.rules),
    baselineKeeps: (traceId) => baseline.keeps(traceId),
  };
}

const NO_WORKFLOWS: string[] = [];

/** Mutable extent the processor grows span by span, from its records' plain-number times (no array per span on
 * the hot path); `start` and `end` build the HrTime pairs when a trace rule asks. */
export class ExtentTracker implements TraceExtent {
  private startSeconds: number;
  private startNanos: number;
  private endSeconds: number;
  private endNanos: number;
  // Most traces carry no workflow name: share one empty array until one shows up.
  workflowNames: string[] = NO_WORKFLOWS;

  /** `workflowName`: the first span's `gen_ai.workflow.name`, when the policy reads it. */
  constructor(first: SpanTimes, workflowName: string | undefined) {
    this.startSeconds = first.startSeconds;
    this.startNanos = first.startNanos;
    this.endSeconds = first.endSeconds;
    this.endNanos = first.endNanos;
    if (workflowName !== undefined) this.noteWorkflow(workflowName);
  }

  get start(): HrTime {
    return hrTimeOf(this.startSeconds, this.startNanos);
  }

  get end(): HrTime {
    return hrTimeOf(this.endSeconds, this.endNanos);
  }

  /** Grows the extent by a span's times; `workflowName` is its `gen_ai.workflow.name` when the policy reads it. */
  add(span: SpanTimes, workflowName: string | undefined): void {
    const { startSeconds, startNanos, endSeconds, endNanos } = span;
    if (startSeconds < this.startSeconds || (startSeconds === this.startSeconds && startNanos < this.startNanos)) {
      this.startSeconds = startSeconds;
      this.startNanos = startNanos;
    }
    if (endSeconds > this.endSeconds || (endSeconds === this.endSeconds && endNanos > this.endNanos)) {
      this.endSeconds = endSeconds;
      this.endNanos = endNanos;
    }
    if (workflowName !== undefined) this.noteWorkflow(workflowName);
  }

  private noteWorkflow(name: string): void {
    // A handful of names is plenty; the cap keeps a pathological trace from growing this without bound.
    if (this.workflowNames.length < 8 && !this.workflowNames.includes(name)) this.workflowNames = [...this.workflowNames, name];
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
  const extent = new ExtentTracker(recordSpan(first), undefined);
  let mask = 0;
  for (const span of spans) {
    const workflowName = span.attributes[ATTR_GEN_AI_WORKFLOW_NAME];
    extent.add(recordSpan(span), typeof workflowName === "string" ? workflowName : undefined);
    mask |= compiled.spanMask(span);
  }
  mask |= compiled.traceMask(extent);
  if (mask === 0 && compiled.baselineKeeps(first.spanContext().traceId)) mask = REASON_BIT.baseline;
  return { keep: mask !== 0, reasons: reasonsFromMask(mask) };
}
