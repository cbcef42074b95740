/**
 * The real ranges of the sampler's numeric settings, written once and checked the same way for the policy file
 * and for the processor's options. Timers are bounded by what Node's `setTimeout` can hold (2^31-1 ms: a longer
 * delay silently becomes 1 ms); counts and byte budgets by what a process can sensibly hold.
 */

/** The longest delay `setTimeout` honours, in ms (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

export interface NumericRange {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. */
  readonly integer: boolean;
}

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

/** Every numeric setting's range, by the name it has in the policy's `buffer` section or the processor's options. */
export const RANGES = {
  decisionWaitMs: { min: 0, max: MAX_TIMER_MS, integer: true },
  maxTraceAgeMs: { min: 1, max: MAX_TIMER_MS, integer: true },
  maxTraces: { min: 1, max: 10_000_000, integer: true },
  maxSpansPerTrace: { min: 1, max: 1_000_000, integer: true },
  decisionCacheSize: { min: 0, max: 10_000_000, integer: true },
  maxBufferBytes: { min: 64 * KIB, max: 64 * GIB, integer: true },
  maxExportQueueBytes: { min: 64 * KIB, max: 64 * GIB, integer: true },
  thresholdMs: { min: 0, max: MAX_TIMER_MS, integer: true },
  workflowThresholdMs: { min: 1, max: MAX_TIMER_MS, integer: true },
  retriesMin: { min: 1, max: 1_000_000, integer: true },
  maxExportBatchSize: { min: 1, max: 100_000, integer: true },
  maxConcurrentExports: { min: 1, max: 256, integer: true },
  scheduledDelayMillis: { min: 0, max: MAX_TIMER_MS, integer: true },
  exportTimeoutMillis: { min: 1, max: MAX_TIMER_MS, integer: true },
  shutdownTimeoutMillis: { min: 0, max: MAX_TIMER_MS, integer: true },
  warningIntervalMillis: { min: 0, max: MAX_TIMER_MS, integer: true },
} as const satisfies Record<string, NumericRange>;

export type RangeName = keyof typeof RANGES;

/** `undefined` when `value` is in range, else what it must be, in words ("an integer from 1 to 10000000"). */
export function rangeViolation(value: unknown, range: NumericRange): string | undefined {
  const inRange =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (!range.integer || Number.isInteger(value)) &&
    value >= range.min &&
    value <= range.max;
  if (inRange) return undefined;
  return `must be ${range.integer ? "an integer" : "a number"} from ${range.min} to ${range.max}`;
}

/** Thrown for an out-of-range or ill-typed processor option; the message names the option. */
export class SamplerOptionError extends RangeError {
  readonly option: string;
  constructor(option: string, expectation: string, got: unknown) {
    super(`telltale sampler: option "${option}" ${expectation}, got ${String(got)}`);
    this.name = "SamplerOptionError";
    this.option = option;
  }
}

/** A processor option: `fallback` when left out, else checked against its range (throws naming it). */
export function optionInRange(name: RangeName, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const violation = rangeViolation(value, RANGES[name]);
  if (violation !== undefined) throw new SamplerOptionError(name, violation, value);
  return value;
}
