/**
 * Loud loss: when spans of kept traces are lost (the exporter fails, times out, or the export queue is full), one
 * warning line goes to a sink (stderr by default, whatever `OTEL_LOG_LEVEL` says), at most one line per interval.
 * Losses inside the interval are summed into the next line, written when the interval has passed (a timer that does
 * not hold the process open) or at shutdown.
 */
import type { KeepReason } from "@telltale/core/attributes";
import { reasonsFromMask } from "./evaluators.js";
import { LOSS_REASONS, type LossReason } from "./outcomes.js";

/** Where warning lines go; each call is one line ending in "\n". */
export type WarningSink = (line: string) => void;

export const defaultWarningSink: WarningSink = (line) => {
  process.stderr.write(line);
};

const HOW_TO_SEE_MORE =
  "counts per reason: the sampler's stats() and the telltale.sampler.lost metric; each exporter error: OTEL_LOG_LEVEL=debug";

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : "";
}

export class LossWarning {
  private spans = new Map<LossReason, number>();
  private traces = new Map<KeepReason, number>();
  private tracesLost = 0;
  private lastError = "";
  private lastLineMs = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: WarningSink,
    private readonly intervalMs: number,
  ) {}

  /** Notes spans of kept traces lost for `reason` (written by the next {@link report}). */
  spansLost(count: number, reason: LossReason, error?: unknown): void {
    this.spans.set(reason, (this.spans.get(reason) ?? 0) + count);
    const text = errorText(error);
    if (text) this.lastError = text;
  }

  /** Notes a kept trace settled as lost (reasons as a mask). */
  traceLost(mask: number): void {
    this.tracesLost++;
    for (const reason of reasonsFromMask(mask)) this.traces.set(reason, (this.traces.get(reason) ?? 0) + 1);
  }

  /** Writes what is pending now, whatever the interval (shutdown), and clears the timer. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.write();
  }

  /** Writes what was noted, now if the interval has passed since the last line, else when it has. */
  report(): void {
    const now = Date.now();
    if (now - this.lastLineMs >= this.intervalMs) {
      this.write();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.write();
      }, this.lastLineMs + this.intervalMs - now);
      this.timer.unref();
    }
  }

  private write(): void {
    if (this.spans.size === 0 && this.traces.size === 0) return;
    const spans = LOSS_REASONS.filter((reason) => this.spans.has(reason)).map((reason) => `${reason} ${this.spans.get(reason)}`);
    const spanTotal = [...this.spans.values()].reduce((sum, value) => sum + value, 0);
    const traces = [...this.traces.entries()].map(([reason, count]) => `${reason} ${count}`);
    const traceTotal = this.tracesLost;
    const parts = [
      `telltale sampler: ${spanTotal} span(s) of kept traces not delivered (${spans.join(", ")})`,
      traceTotal > 0 ? `; ${traceTotal} kept trace(s) lost, by keep reason: ${traces.join(", ")}` : "",
      this.lastError ? `; last exporter error: ${this.lastError}` : "",
      `. See ${HOW_TO_SEE_MORE}.\n`,
    ];
    this.spans = new Map();
    this.traces = new Map();
    this.tracesLost = 0;
    this.lastError = "";
    this.lastLineMs = Date.now();
    try {
      this.sink(parts.join(""));
    } catch {
      // A broken sink must not break the app.
    }
  }
}
