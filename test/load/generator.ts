/**
 * Sends agent-shaped traces to a collector's OTLP/HTTP receiver (protobuf, as `@telltale/node` exports) at a set
 * rate of spans per second, in batches of about 512 spans (the OpenTelemetry SDKs' batch size), with a bounded
 * number of requests in flight. A trace arrives in two parts, as from an app whose SDK exports spans as they end:
 * its steps, LLM and tool calls first, its root span `rootDelayMs` later (the SDKs' 5 s batch delay). Records every
 * trace it sent, whether the collector took all of it, and when the collector refused (HTTP 429/503 from
 * memory_limiter) or could not keep up (requests in flight at the bound, so the offered rate was not sent).
 */
import { Agent, request } from "node:http";
import { AgentTraceFactory, exportRequest, type StampedTrace, type TraceClass } from "./agent-traces.js";

/** How long after a trace's other spans its root span is sent. */
export const ROOT_DELAY_MS = 5_000;

export interface SentTrace {
  traceClass: TraceClass;
  spanCount: number;
  /** The name of the phase it was sent in. */
  phase: string;
  /** False when the collector refused a request that carried any of its spans. */
  accepted: boolean;
}

export interface PhaseResult {
  phase: string;
  targetSpansPerSecond: number;
  seconds: number;
  spansAccepted: number;
  spansRefused: number;
  /** Spans the generator could not send on time because `maxInFlight` requests were waiting. */
  spansBehind: number;
  refusedStatuses: Record<string, number>;
}

const BATCH_SPANS = 512;
const TICK_MS = 20;

interface Part {
  traceId: string;
  bytes: Buffer;
  spans: number;
}

export class LoadGenerator {
  readonly sent = new Map<string, SentTrace>();
  private readonly factory = new AgentTraceFactory();
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  /** Root spans waiting for their time, oldest first. */
  private readonly roots: { due: number; part: Part }[] = [];
  private inFlight = 0;

  constructor(
    private readonly otlpHttpUrl: string,
    private readonly serviceName = "load-agent",
    private readonly maxInFlight = 8,
    private readonly rootDelayMs = ROOT_DELAY_MS,
  ) {}

  get meanSpansPerTrace(): number {
    return this.factory.meanSpansPerTrace;
  }

  /**
   * Sends at `spansPerSecond` for `seconds`, then waits for the requests in flight. Roots not yet due go out in the
   * next phase (or `flushRoots`), so the rate holds across phases.
   */
  async run(phase: string, spansPerSecond: number, seconds: number): Promise<PhaseResult> {
    const result: PhaseResult = {
      phase,
      targetSpansPerSecond: spansPerSecond,
      seconds,
      spansAccepted: 0,
      spansRefused: 0,
      spansBehind: 0,
      refusedStatuses: {},
    };
    const started = Date.now();
    const pending = new Set<Promise<void>>();
    let owed = 0;
    let lastTick = started;
    while (Date.now() - started < seconds * 1000) {
      const now = Date.now();
      owed += ((now - lastTick) / 1000) * spansPerSecond;
      lastTick = now;
      while (owed >= BATCH_SPANS) {
        if (this.inFlight >= this.maxInFlight) {
          // The collector answers slower than the rate: what cannot be sent now is counted, not queued.
          result.spansBehind += owed;
          owed = 0;
          break;
        }
        const batch = this.batch(phase, true);
        owed -= batch.reduce((sum, part) => sum + part.spans, 0);
        const sending = this.send(batch, result);
        pending.add(sending);
        void sending.finally(() => pending.delete(sending));
      }
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    await Promise.all(pending);
    return result;
  }

  /** Sends the roots still waiting, each when due, so every trace sent is whole; counts them in `result`. */
  async flushRoots(result: PhaseResult): Promise<void> {
    const pending: Promise<void>[] = [];
    while (this.roots.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, this.roots[0]!.due - Date.now())));
      pending.push(this.send(this.batch(result.phase, false), result));
    }
    await Promise.all(pending);
  }

  /** About 512 spans: the roots now due, then (when `newTraces`) the first part of new traces. */
  private batch(phase: string, newTraces: boolean): Part[] {
    const parts: Part[] = [];
    let spans = 0;
    const now = Date.now();
    while (spans < BATCH_SPANS && this.roots.length > 0 && this.roots[0]!.due <= now) {
      parts.push(this.roots.shift()!.part);
      spans += 1;
    }
    while (newTraces && spans < BATCH_SPANS) {
      const trace: StampedTrace = this.factory.stamp();
      parts.push({ traceId: trace.traceId, bytes: trace.children, spans: trace.spanCount - 1 });
      this.roots.push({ due: now + this.rootDelayMs, part: { traceId: trace.traceId, bytes: trace.root, spans: 1 } });
      spans += trace.spanCount - 1;
      this.sent.set(trace.traceId, { traceClass: trace.traceClass, spanCount: trace.spanCount, phase, accepted: true });
    }
    return parts;
  }

  private async send(parts: Part[], result: PhaseResult): Promise<void> {
    const spans = parts.reduce((sum, part) => sum + part.spans, 0);
    this.inFlight += 1;
    try {
      const status = await this.post(exportRequest(this.serviceName, parts.map((part) => part.bytes)));
      if (status >= 200 && status < 300) {
        result.spansAccepted += spans;
        return;
      }
      result.refusedStatuses[String(status)] = (result.refusedStatuses[String(status)] ?? 0) + 1;
    } catch (error) {
      const key = error instanceof Error ? error.message.slice(0, 60) : "error";
      result.refusedStatuses[key] = (result.refusedStatuses[key] ?? 0) + 1;
    } finally {
      this.inFlight -= 1;
    }
    result.spansRefused += spans;
    for (const part of parts) this.sent.get(part.traceId)!.accepted = false;
  }

  private post(body: Buffer): Promise<number> {
    return new Promise((resolve, reject) => {
      const outgoing = request(
        `${this.otlpHttpUrl}/v1/traces`,
        {
          method: "POST",
          agent: this.agent,
          headers: { "content-type": "application/x-protobuf", "content-length": body.length },
          timeout: 10_000,
        },
        (response) => {
          response.resume();
          response.on("end", () => resolve(response.statusCode ?? 0));
        },
      );
      outgoing.on("timeout", () => outgoing.destroy(new Error("request timed out after 10 s")));
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
