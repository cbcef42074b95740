/**
 * Two sampling collectors (deploy/collector/tail-sampling.yaml) behind one load-balancing collector
 * (deploy/collector/two-tier/load-balancer.yaml). Spans of one trace sent from two different processes end up in one
 * complete trace in Jaeger, and the keep/drop decisions are the in-process engine's (as in the single-collector test).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { context, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { renderCollectorConfig } from "@telltale/sampler";
import { corpusPolicy, loadCorpus, tracesToOtlpJson, type CorpusTrace } from "@telltale/sampler/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  corpusSpanShape,
  decisionsByName,
  goBinaries,
  inProcessDecisions,
  LOAD_BALANCER_CONFIG,
  markerTrace,
  pollUntil,
  postOtlpJson,
  startCollector,
  startJaeger,
  startSamplingCollector,
  storedAfterDecisions,
  storedSpanShape,
  type RunningCollector,
  type RunningJaeger,
  type SamplingCollector,
} from "../support/index.js";

const runFile = promisify(execFile);
const CHILD_WORKER = path.join(path.dirname(new URL(import.meta.url).pathname), "../support/child-worker.mjs");

const corpus = loadCorpus();
const policy = corpusPolicy(corpus);
const marker = markerTrace("7e1172a1effffffffffffffffffff003");

let jaeger: RunningJaeger | undefined;
let samplers: SamplingCollector[] = [];
let loadBalancer: RunningCollector | undefined;

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
  const tailSampling = { ...renderCollectorConfig(policy) };
  samplers = await Promise.all(
    ["sampler-1", "sampler-2"].map((name) => startSamplingCollector({ name, jaeger: jaeger!, tailSampling })),
  );
  loadBalancer = await startCollector({
    name: "load-balancer",
    configFiles: [LOAD_BALANCER_CONFIG],
    env: { TELLTALE_SAMPLING_TIER_HOSTNAMES: `[${samplers.map((sampler) => sampler.otlpGrpcEndpoint).join(", ")}]` },
  });
}, 900_000);

afterAll(async () => {
  await loadBalancer?.stop();
  await Promise.all(samplers.map((sampler) => sampler.stop()));
  await jaeger?.stop();
});

/** The corpus with every trace's spans split between two senders: even positions here, odd in another process. */
function splitSpans(traces: readonly CorpusTrace[]): [CorpusTrace[], CorpusTrace[]] {
  const here: CorpusTrace[] = [];
  const there: CorpusTrace[] = [];
  for (const corpusTrace of traces) {
    here.push({ ...corpusTrace, spans: corpusTrace.spans.filter((_, index) => index % 2 === 0) });
    const odd = corpusTrace.spans.filter((_, index) => index % 2 === 1);
    if (odd.length > 0) there.push({ ...corpusTrace, spans: odd });
  }
  return [here, there];
}

describe("two-tier: load balancing by trace id in front of two sampling collectors", () => {
  it("assembles traces whose spans come from two processes, with the in-process engine's decisions", async () => {
    const baseTimeMs = Date.now() - 60_000;
    const [here, there] = splitSpans(corpus.traces);
    expect(there.length).toBeGreaterThan(5);

    const bodyFile = path.join(mkdtempSync(path.join(tmpdir(), "telltale-two-tier-")), "other-half.json");
    writeFileSync(bodyFile, JSON.stringify(tracesToOtlpJson(there, { baseTimeMs })));
    const [, child] = await Promise.all([
      postOtlpJson(loadBalancer!.otlpHttpUrl, tracesToOtlpJson(here, { baseTimeMs })),
      runFile(process.execPath, [CHILD_WORKER, "post", loadBalancer!.otlpHttpUrl, bodyFile]),
    ]);
    expect(JSON.parse(child.stdout)).toEqual({ status: 200 });
    await postOtlpJson(loadBalancer!.otlpHttpUrl, tracesToOtlpJson([marker], { baseTimeMs }));

    const inProcess = inProcessDecisions(policy, corpus.traces, baseTimeMs);
    const expectedKept = new Set(corpus.traces.filter((t) => inProcess.get(t.traceId)).map((t) => t.traceId));
    const stored = await storedAfterDecisions(jaeger!.client, corpus.traces, expectedKept, marker.traceId);

    expect(decisionsByName(corpus.traces, (id) => stored.get(id) !== undefined)).toEqual(
      decisionsByName(corpus.traces, (id) => inProcess.get(id) === true),
    );
    for (const corpusTrace of corpus.traces) {
      const kept = stored.get(corpusTrace.traceId);
      // One complete trace: had the halves reached different samplers, each would have decided on half a trace.
      if (kept) expect(storedSpanShape(kept), corpusTrace.name).toEqual(corpusSpanShape(corpusTrace));
    }

    // Both sampling collectors took part, and between them saw every span exactly once.
    const totalSpans = corpus.traces.reduce((sum, t) => sum + t.spans.length, 0) + marker.spans.length;
    const perSampler = await pollUntil("span metrics of both samplers covering every span", async () => {
      const counts = samplers.map((sampler) => sampler.spanMetricsCalls());
      return counts[0]! + counts[1]! >= totalSpans ? counts : undefined;
    });
    expect(perSampler[0]! + perSampler[1]!).toBe(totalSpans);
    expect(perSampler.every((count) => count > 0)).toBe(true);
  });

  it("joins an SDK trace continued in a second process through W3C traceparent into one kept trace", async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": "e2e-frontend" }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${loadBalancer!.otlpHttpUrl}/v1/traces` }) })],
    });
    const root = provider.getTracer("telltale-e2e").startSpan("handle request");
    const carrier: Record<string, string> = {};
    new W3CTraceContextPropagator().inject(trace.setSpan(context.active(), root), carrier, {
      set: (target, key, value) => {
        target[key] = value;
      },
    });
    const child = await runFile(process.execPath, [
      CHILD_WORKER,
      "span",
      loadBalancer!.otlpHttpUrl,
      carrier.traceparent!,
      "e2e-worker",
      "execute_tool lookup",
      "error",
    ]);
    const childSpan = JSON.parse(child.stdout) as { traceId: string; spanId: string };
    root.setStatus({ code: SpanStatusCode.OK });
    root.end();
    await provider.shutdown();

    const traceId = root.spanContext().traceId;
    expect(childSpan.traceId).toBe(traceId);
    const stored = await pollUntil("the cross-process trace in Jaeger with both spans", async () => {
      const found = await jaeger!.client.getTrace(traceId);
      return found && found.spans.length === 2 ? found : undefined;
    });
    const byName = Object.fromEntries(stored.spans.map((span) => [span.name, span]));
    expect(byName["handle request"]).toMatchObject({ serviceName: "e2e-frontend", parentSpanId: "", statusCode: "STATUS_CODE_OK" });
    expect(byName["execute_tool lookup"]).toMatchObject({
      serviceName: "e2e-worker",
      spanId: childSpan.spanId,
      parentSpanId: root.spanContext().spanId,
      statusCode: "STATUS_CODE_ERROR",
    });
  });
});
