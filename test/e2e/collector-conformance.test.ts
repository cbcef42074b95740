/**
 * The sampler's conformance corpus, sent through a real collector running deploy/'s tail-sampling
 * config (with the tail_sampling block rendered from the corpus policy by @telltale/sampler), yields the same
 * keep/drop per trace as the in-process engine, and every kept trace arrives in Jaeger complete.
 */
import { renderCollectorConfig } from "@telltale/sampler";
import { corpusPolicy, loadCorpus, tracesToOtlpJson } from "@telltale/sampler/conformance";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  corpusSpanShape,
  decisionsByName,
  goBinaries,
  inProcessDecisions,
  markerTrace,
  pollUntil,
  postOtlpJson,
  startJaeger,
  startSamplingCollector,
  storedAfterDecisions,
  storedSpanShape,
  type RunningJaeger,
  type SamplingCollector,
} from "../support/index.js";

const corpus = loadCorpus();
const policy = corpusPolicy(corpus);
const marker = markerTrace("7e1172a1effffffffffffffffffff002");

let jaeger: RunningJaeger | undefined;
let collector: SamplingCollector | undefined;

beforeAll(async () => {
  goBinaries();
  jaeger = await startJaeger();
  collector = await startSamplingCollector({
    name: "collector-conformance",
    jaeger,
    tailSampling: { ...renderCollectorConfig(policy) },
  });
}, 900_000);

afterAll(async () => {
  await collector?.stop();
  await jaeger?.stop();
});

describe("conformance corpus through the collector", () => {
  it("keeps and drops exactly the traces the in-process engine keeps and drops, each kept trace complete", async () => {
    const baseTimeMs = Date.now() - 60_000;
    const inProcess = inProcessDecisions(policy, corpus.traces, baseTimeMs);
    // The in-process engine agrees with the corpus (the sampler's own tests hold it to that; restated here so a
    // disagreement below is unambiguously the collector's).
    expect(decisionsByName(corpus.traces, (id) => inProcess.get(id) === true)).toEqual(
      Object.fromEntries(corpus.traces.map((trace) => [trace.name, trace.expected.decision])),
    );

    await postOtlpJson(collector!.otlpHttpUrl, tracesToOtlpJson(corpus.traces, { baseTimeMs }));
    await postOtlpJson(collector!.otlpHttpUrl, tracesToOtlpJson([marker], { baseTimeMs }));

    const expectedKept = new Set(corpus.traces.filter((trace) => inProcess.get(trace.traceId)).map((trace) => trace.traceId));
    const stored = await storedAfterDecisions(jaeger!.client, corpus.traces, expectedKept, marker.traceId);

    expect(decisionsByName(corpus.traces, (id) => stored.get(id) !== undefined)).toEqual(
      decisionsByName(corpus.traces, (id) => inProcess.get(id) === true),
    );
    expect(Object.values(decisionsByName(corpus.traces, (id) => stored.get(id) !== undefined))).toEqual(
      expect.arrayContaining(["keep", "drop"]),
    );
    for (const trace of corpus.traces) {
      const kept = stored.get(trace.traceId);
      // Complete: every span of the trace, with its parent and its service.
      if (kept) expect(storedSpanShape(kept), trace.name).toEqual(corpusSpanShape(trace));
    }
  });

  it("feeds span metrics from the unsampled stream: the connector counts every span, dropped traces included", async () => {
    const totalSpans = corpus.traces.reduce((sum, trace) => sum + trace.spans.length, 0) + marker.spans.length;
    const counted = await pollUntil("span metrics covering every span sent", async () => {
      const calls = collector!.spanMetricsCalls();
      return calls >= totalSpans ? calls : undefined;
    });
    expect(counted).toBe(totalSpans);
  });
});
