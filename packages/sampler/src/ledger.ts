/**
 * The sampler's books: every span received ends up buffered, waiting for the exporter, exported, dropped (not kept)
 * or lost (kept, not delivered), and every kept trace is pending, exported whole or lost; the counts here, the
 * metrics and the loss warning are kept in one place so they cannot disagree.
 */
import { type Attributes, type Counter, type Meter } from "@opentelemetry/api";
import {
  ATTR_TELLTALE_SAMPLER_DROP_REASON,
  ATTR_TELLTALE_SAMPLER_KEEP_REASON,
  KEEP_REASONS,
  METRIC_TELLTALE_SAMPLER_DROPPED,
  METRIC_TELLTALE_SAMPLER_EXPORTED,
  METRIC_TELLTALE_SAMPLER_KEPT,
  METRIC_TELLTALE_SAMPLER_LOST,
  type KeepReason,
} from "@telltale/core/attributes";
import type { LossWarning } from "./loss-warning.js";
import { DROP_REASONS, LOSS_REASONS, type DropReason, type KeptTrace, type LossReason } from "./outcomes.js";

/** Counters for tests, demos and health checks. All counts are since construction. At every moment:
 * `spansReceived = pendingSpans + exportQueueLength + spansInFlight + spansExported + spansDropped + spansLost` and
 * `tracesKept = tracesExported + tracesLost + keptTracesPending`. */
export interface TailSamplingStats {
  /** Spans handed to the processor (`onEnd`). */
  spansReceived: number;
  /** Traces decided to keep (a trace kept after an early drop decision moves from dropped to kept). */
  tracesKept: number;
  /** Traces decided not to keep. */
  tracesDropped: number;
  /** Kept traces whose every span the exporter took. */
  tracesExported: number;
  /** Kept traces with at least one span lost before the exporter took it. */
  tracesLost: number;
  /** Kept traces not settled yet: root still running, or spans waiting for the exporter. */
  keptTracesPending: number;
  /** Kept traces per final reason, counted once the reasons are final (the root ended, or the trace was closed
   * without it); a trace kept for two reasons counts under both. */
  keptTracesByReason: Record<KeepReason, number>;
  /** Kept traces exported whole, per reason. */
  exportedTracesByReason: Record<KeepReason, number>;
  /** Kept traces lost, per reason. */
  lostTracesByReason: Record<KeepReason, number>;
  /** Kept traces lost, per the first loss reason that hit them. */
  lostTracesByLossReason: Record<LossReason, number>;
  /** Spans the exporter accepted. */
  spansExported: number;
  /** Spans dropped without being kept: the sum of `droppedSpansByReason`. */
  spansDropped: number;
  droppedSpansByReason: Record<DropReason, number>;
  /** Spans of kept traces lost before the exporter took them: the sum of `lostSpansByReason`. */
  spansLost: number;
  lostSpansByReason: Record<LossReason, number>;
  /** Traces buffered and undecided right now. */
  pendingTraces: number;
  /** Spans buffered in undecided traces right now. */
  pendingSpans: number;
  /** Estimated bytes of the buffered spans right now (bounded by `maxBufferBytes`). */
  bufferedBytes: number;
  /** Kept spans waiting for an export right now. */
  exportQueueLength: number;
  /** Kept spans in exports that have not called back yet. */
  spansInFlight: number;
  /** Exports that have not called back yet. */
  exportsInFlight: number;
  /** Estimated bytes of kept spans waiting or in flight (bounded by `maxExportQueueBytes`). */
  exportQueueBytes: number;
}

/** What the buffer and the export queue hold right now. */
export type LiveFigures = Pick<
  TailSamplingStats,
  "pendingTraces" | "pendingSpans" | "bufferedBytes" | "exportQueueLength" | "spansInFlight" | "exportsInFlight" | "exportQueueBytes"
>;

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
}

function sum(counts: Record<string, number>): number {
  let total = 0;
  for (const key in counts) total += counts[key] as number;
  return total;
}

function attributesByValue<K extends string>(key: string, values: readonly K[]): Record<K, Attributes> {
  return Object.fromEntries(values.map((value) => [value, Object.freeze({ [key]: value })])) as Record<K, Attributes>;
}

const KEEP_REASON_ATTRIBUTES = attributesByValue(ATTR_TELLTALE_SAMPLER_KEEP_REASON, KEEP_REASONS);
const DROP_REASON_ATTRIBUTES = attributesByValue<DropReason | LossReason>(ATTR_TELLTALE_SAMPLER_DROP_REASON, [
  ...DROP_REASONS,
  ...LOSS_REASONS,
]);

export class SamplerLedger {
  spansReceived = 0;
  private tracesKept = 0;
  private tracesDropped = 0;
  private tracesExported = 0;
  private tracesLost = 0;
  private keptUnsettled = 0;
  private spansExported = 0;
  private readonly keptByReason = zeros(KEEP_REASONS);
  private readonly exportedByReason = zeros(KEEP_REASONS);
  private readonly lostByReason = zeros(KEEP_REASONS);
  private readonly lostByLossReason = zeros(LOSS_REASONS);
  private readonly droppedSpans = zeros(DROP_REASONS);
  private readonly lostSpans = zeros(LOSS_REASONS);
  private readonly droppedCounter: Counter;
  private readonly keptCounter: Counter;
  private readonly exportedCounter: Counter;
  private readonly lostCounter: Counter;

  constructor(
    meter: Meter,
    private readonly warning: LossWarning,
  ) {
    const counter = (name: string, unit: string, description: string): Counter => meter.createCounter(name, { unit, description });
    this.droppedCounter = counter(
      METRIC_TELLTALE_SAMPLER_DROPPED,
      "{span}",
      "Spans the in-process tail sampler dropped (not kept) or lost (kept, not delivered), by reason",
    );
    this.keptCounter = counter(METRIC_TELLTALE_SAMPLER_KEPT, "{trace}", "Traces the in-process tail sampler decided to keep, by keep reason");
    this.exportedCounter = counter(METRIC_TELLTALE_SAMPLER_EXPORTED, "{trace}", "Kept traces the exporter took whole, by keep reason");
    this.lostCounter = counter(
      METRIC_TELLTALE_SAMPLER_LOST,
      "{trace}",
      "Kept traces lost before the exporter took them whole, by keep reason and loss reason",
    );
  }

  traceKept(): void {
    this.tracesKept++;
    this.keptUnsettled++;
  }

  traceDropped(spanCount: number, reason: DropReason): void {
    this.tracesDropped++;
    this.spansDropped(spanCount, reason);
  }

  /** A trace decided dropped turned out worth keeping (a failing span arrived later): it moves to kept. */
  dropRevoked(): void {
    this.tracesDropped--;
  }

  spansDropped(count: number, reason: DropReason): void {
    if (count <= 0) return;
    this.droppedSpans[reason] += count;
    this.droppedCounter.add(count, DROP_REASON_ATTRIBUTES[reason]);
  }

  /** A kept trace's reasons are final. */
  reasonsFinal(reasons: readonly KeepReason[]): void {
    for (const reason of reasons) {
      this.keptByReason[reason]++;
      this.keptCounter.add(1, KEEP_REASON_ATTRIBUTES[reason]);
    }
  }

  spansDelivered(count: number): void {
    this.spansExported += count;
  }

  spansLostAfterKeep(count: number, reason: LossReason, error?: unknown): void {
    if (count <= 0) return;
    this.lostSpans[reason] += count;
    this.droppedCounter.add(count, DROP_REASON_ATTRIBUTES[reason]);
    this.warning.spansLost(count, reason, error);
  }

  /** A closed kept trace whose spans all left the export queue. */
  traceSettled(trace: KeptTrace): void {
    const reasons = trace.reasons ?? [];
    this.keptUnsettled--;
    if (trace.lostReason === undefined) {
      this.tracesExported++;
      for (const reason of reasons) {
        this.exportedByReason[reason]++;
        this.exportedCounter.add(1, KEEP_REASON_ATTRIBUTES[reason]);
      }
      return;
    }
    this.tracesLost++;
    this.lostByLossReason[trace.lostReason]++;
    for (const reason of reasons) {
      this.lostByReason[reason]++;
      this.lostCounter.add(1, { ...KEEP_REASON_ATTRIBUTES[reason], ...DROP_REASON_ATTRIBUTES[trace.lostReason] });
    }
    this.warning.traceLost(trace.mask);
  }

  stats(live: LiveFigures): TailSamplingStats {
    return {
      spansReceived: this.spansReceived,
      tracesKept: this.tracesKept,
      tracesDropped: this.tracesDropped,
      tracesExported: this.tracesExported,
      tracesLost: this.tracesLost,
      keptTracesPending: this.keptUnsettled,
      keptTracesByReason: { ...this.keptByReason },
      exportedTracesByReason: { ...this.exportedByReason },
      lostTracesByReason: { ...this.lostByReason },
      lostTracesByLossReason: { ...this.lostByLossReason },
      spansExported: this.spansExported,
      spansDropped: sum(this.droppedSpans),
      droppedSpansByReason: { ...this.droppedSpans },
      spansLost: sum(this.lostSpans),
      lostSpansByReason: { ...this.lostSpans },
      ...live,
    };
  }
}
