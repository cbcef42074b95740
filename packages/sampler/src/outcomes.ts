/**
 * What can become of a span and of a kept trace, and the state a kept trace carries from its keep decision until
 * every one of its spans was delivered or lost.
 */
import type { KeepReason } from "@telltale/core/attributes";
import { REASON_BIT, type ExtentTracker } from "./evaluators.js";

/** Why spans were dropped without being kept (values of `telltale.sampler.drop_reason`). */
export const DROP_REASONS = [
  /** The policy decided the trace was not worth keeping. */
  "sampled_out",
  /** The buffer was full (traces or bytes): the oldest undecided (healthy so far) trace was decided early and not kept. */
  "overflow",
  /** The trace reached `maxSpansPerTrace`, was decided early and not kept. */
  "span_limit",
  /** The span ended after the processor was shut down. */
  "shutdown",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Why spans of kept traces were lost before the exporter took them (also values of `telltale.sampler.drop_reason`). */
export const LOSS_REASONS = [
  /** The export queue's byte budget was full: a lower-priority kept trace gave way, or this one found no room. */
  "export_queue_full",
  /** The exporter reported a failure for the batch. */
  "exporter_failed",
  /** The exporter did not call back within `exportTimeoutMillis`. */
  "export_timeout",
  /** `shutdown()` reached its timeout before the exporter took the spans. */
  "shutdown_timeout",
] as const;
export type LossReason = (typeof LOSS_REASONS)[number];

/** Export and eviction priority of a kept trace: 0 error, 1 another failure, 2 `telltale.keep` only, 3 baseline only. */
export type KeepPriority = 0 | 1 | 2 | 3;
export const PRIORITY_COUNT = 4;

const BASELINE_AND_KEEP = REASON_BIT.baseline | REASON_BIT.keep;

export function priorityOf(mask: number): KeepPriority {
  if ((mask & REASON_BIT.error) !== 0) return 0;
  if ((mask & ~BASELINE_AND_KEEP) !== 0) return 1;
  if ((mask & REASON_BIT.keep) !== 0) return 2;
  return 3;
}

/**
 * A kept trace, from the keep decision until it is settled. It is open while its local root has not ended (later
 * spans can add reasons); it is settled once closed and none of its spans waits for the exporter: exported if every
 * span was delivered, else lost for the first loss reason.
 */
export class KeptTrace {
  mask: number;
  /** Grows while open (trace rules need the whole extent); released when closed. */
  extent: ExtentTracker | undefined;
  /** Final reasons, set when closed. */
  reasons: KeepReason[] | undefined;
  /** Spans handed to the export queue and not yet delivered or lost. */
  queued = 0;
  lostReason: LossReason | undefined;
  /** A span was evicted from the export queue: the rest of the trace gives way too, so it leaves whole. */
  evicted = false;
  settled = false;

  constructor(
    readonly traceId: string,
    mask: number,
    extent: ExtentTracker,
    readonly firstSeenMs: number,
  ) {
    this.mask = mask;
    this.extent = extent;
  }

  get open(): boolean {
    return this.reasons === undefined;
  }
}
