import { decideTrace } from "@telltale/sampler/conformance";
import { type SamplingPolicy } from "@telltale/sampler";
import { toReadableSpans, type CorpusTrace } from "@telltale/sampler/conformance";
import type { JaegerClient, StoredTrace } from "./jaeger.js";
import { pollUntil } from "./processes.js";

/** Sent after a batch of corpus traces and kept (status ERROR): once Jaeger has it, the batch has been decided. */
export function markerTrace(traceId: string): CorpusTrace {
  return {
    name: "marker",
    description: "sent last; kept for its error",
    traceId,
    expected: { decision: "keep", reasons: ["error"] },
    spans: [{ spanId: "ffffffffffff0001", name: "marker", service: "conformance-marker", startMs: 0, endMs: 5, status: "error" }],
  };
}

/** The in-process engine's keep (true) / drop (false) per trace id. */
export function inProcessDecisions(policy: SamplingPolicy, traces: readonly CorpusTrace[], baseTimeMs: number): Map<string, boolean> {
  return new Map(traces.map((trace) => [trace.traceId, decideTrace(policy, toReadableSpans(trace, { baseTimeMs })).keep]));
}

/**
 * What Jaeger ended up with for each trace: waits (bounded) for the marker sent after the traces, then for every
 * trace expected kept, then reads each trace once. Absent traces were dropped, not pending.
 */
export async function storedAfterDecisions(
  client: JaegerClient,
  traces: readonly CorpusTrace[],
  expectedKept: ReadonlySet<string>,
  markerTraceId: string,
): Promise<Map<string, StoredTrace | undefined>> {
  await pollUntil("the marker trace in Jaeger", async () => ((await client.getTrace(markerTraceId)) ? true : undefined), {
    timeoutMs: 60_000,
  });
  await pollUntil("every trace expected kept in Jaeger", async () => {
    const found = await Promise.all([...expectedKept].map((traceId) => client.getTrace(traceId)));
    return found.every((trace) => trace !== undefined && trace.spans.length > 0) ? true : undefined;
  });
  const stored = new Map<string, StoredTrace | undefined>();
  for (const trace of traces) stored.set(trace.traceId, await client.getTrace(trace.traceId));
  return stored;
}

/** Span identity as the corpus defines it and as Jaeger stores it, sorted, for exact comparison. */
export function corpusSpanShape(trace: CorpusTrace): { spanId: string; parentSpanId: string; name: string; serviceName: string }[] {
  return trace.spans
    .map((span) => ({ spanId: span.spanId, parentSpanId: span.parentSpanId ?? "", name: span.name, serviceName: span.service }))
    .sort((a, b) => a.spanId.localeCompare(b.spanId));
}

export function storedSpanShape(trace: StoredTrace): { spanId: string; parentSpanId: string; name: string; serviceName: string }[] {
  return trace.spans
    .map((span) => ({ spanId: span.spanId, parentSpanId: span.parentSpanId, name: span.name, serviceName: span.serviceName }))
    .sort((a, b) => a.spanId.localeCompare(b.spanId));
}

/** trace name -> "keep" | "drop", readable in assertion diffs. */
export function decisionsByName(traces: readonly CorpusTrace[], keep: (traceId: string) => boolean): Record<string, "keep" | "drop"> {
  return Object.fromEntries(traces.map((trace) => [trace.name, keep(trace.traceId) ? "keep" : "drop"]));
}
