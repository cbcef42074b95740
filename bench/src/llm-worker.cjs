"use strict";
// One process = one variant × one mode (plain or stream). CommonJS on purpose: every other instrumentation patches
// `openai` through the require hook, so loading the SDK with require() is the path their users take.
//
// argv[2]: JSON { variant, mode, warmup, samples, callsPerSample, lockstep? } (lockstep: see samples.cjs)
// stdout (last line): JSON { variant, mode, sdkVersion, perCallUs: number[] (CPU µs per call, per sample), ... }

const { setupTracing, countingExporter, callRepeatedly } = require("./tracing.cjs");
const { cannedFetch, MODEL, STREAM_CHUNKS } = require("./canned-fetch.cjs");
const { LLM_VARIANTS } = require("./variants.cjs");
const { takeSamples } = require("./samples.cjs");
const { enableInstrumentation } = require("./instrumentations.cjs");

async function main() {
  const options = JSON.parse(process.argv[2] ?? "{}");
  // `VARIANT~aa` is the A/A twin of VARIANT: the same code in a process of its own.
  const spec = LLM_VARIANTS[options.variant.replace(/~aa$/, "")];
  if (!spec) throw new Error(`unknown variant ${options.variant}`);
  const stream = options.mode === "stream";

  const { provider, tracer } = setupTracing();
  const metricsSetup = spec.metrics ? setupMetrics() : undefined;
  // The instrumentation is enabled before the SDK is required, as its README tells users to.
  const instrumentation = enableInstrumentation(spec.instrumentation, provider);
  const OpenAI = requireSdk(spec.sdk);
  const client = new OpenAI({ apiKey: "sk-bench", baseURL: "https://api.openai.com/v1", fetch: cannedFetch, maxRetries: 2 });
  const call = buildCall(spec, client, tracer, stream, metricsSetup);

  // Sanity: a call returns the canned answer (so the instrumentation did not change what the SDK returns).
  const probe = await call();
  if (probe !== "Paris" && probe !== "The capital of France is Paris.") throw new Error(`unexpected answer ${String(probe)}`);

  for (let index = 0; index < options.warmup; index++) await call();
  await provider.forceFlush();
  countingExporter.reset();

  // --alloc-prof: the measured calls run under V8's sampling heap profiler, counting what garbage collection
  // freed too, so the profile says which functions allocate how much per call (the GC time in a CPU profile does not).
  const allocationSession = options.allocationProfile ? await startAllocationSampling() : undefined;
  const { values: perCallUs, taken } = await takeSamples(
    options,
    () => callRepeatedly(call, options.callsPerSample),
    options.callsPerSample,
  );
  if (allocationSession) await stopAllocationSampling(allocationSession, options.allocationProfile);
  await provider.forceFlush();
  const measuredCalls = taken * options.callsPerSample;
  const result = {
    variant: options.variant,
    mode: options.mode,
    sdkVersion: sdkVersion(spec.sdk),
    perCallUs,
    calls: measuredCalls,
    spansExported: countingExporter.spans,
    spansPerCall: countingExporter.spans / measuredCalls,
    spanNames: [...countingExporter.names].sort(),
    spanShapes: Object.fromEntries([...countingExporter.shapes].sort(([left], [right]) => left.localeCompare(right))),
    heapUsedMb: process.memoryUsage().heapUsed / 1048576,
  };
  if (metricsSetup) {
    await metricsSetup.meterProvider.forceFlush();
    result.histograms = metricsSetup.histograms();
  }
  if (instrumentation && typeof instrumentation.disable === "function") instrumentation.disable();
  await provider.shutdown();
  await metricsSetup?.meterProvider.shutdown();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function startAllocationSampling() {
  const inspector = require("node:inspector");
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post("HeapProfiler.startSampling", {
    samplingInterval: 128,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return { session, post };
}

async function stopAllocationSampling({ session, post }, file) {
  const { profile } = await post("HeapProfiler.stopSampling");
  session.disconnect();
  require("node:fs").writeFileSync(file, JSON.stringify(profile));
}

/**
 * A real MeterProvider as the global one (the instrumentation takes the global), collected every second by a reader
 * whose exporter keeps only the last collection: the histograms are recorded, aggregated and collected as a user's
 * would be. `histograms()` says what they hold: per histogram, its measurements and the attribute keys of each point.
 */
function setupMetrics() {
  const { metrics } = require("@opentelemetry/api");
  const { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } = require("@opentelemetry/sdk-metrics");
  let last;
  const exporter = {
    export: (resourceMetrics, resultCallback) => {
      last = resourceMetrics;
      resultCallback({ code: 0 });
    },
    selectAggregationTemporality: () => AggregationTemporality.CUMULATIVE,
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 1000 })] });
  metrics.setGlobalMeterProvider(meterProvider);
  const histograms = () => {
    const found = {};
    for (const scope of last?.scopeMetrics ?? []) {
      for (const metric of scope.metrics) {
        if (!metric.descriptor.name.startsWith("gen_ai.")) continue;
        const points = metric.dataPoints.map((point) => ({ keys: Object.keys(point.attributes).sort(), count: point.value.count }));
        found[metric.descriptor.name] = {
          measurements: points.reduce((sum, point) => sum + point.count, 0),
          attributeKeys: [...new Set(points.map((point) => point.keys.join(",")))].sort(),
        };
      }
    }
    return found;
  };
  return { meterProvider, histograms };
}

function requireSdk(packageName) {
  const loaded = require(packageName);
  return loaded.OpenAI ?? loaded.default ?? loaded;
}

function sdkVersion(packageName) {
  // openai's exports map hides package.json; `openai/version` is public.
  return require(`${packageName}/version`).VERSION;
}

const messages = [{ role: "user", content: "What is the capital of France?" }];

function buildCall(spec, client, tracer, stream, metricsSetup) {
  const plainCall = async () => {
    const completion = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 64, temperature: 0 });
    return completion.choices[0].message.content;
  };
  const streamCall = async () => {
    const chunks = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 64,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let first;
    let count = 0;
    for await (const chunk of chunks) {
      count++;
      first ??= chunk.choices[0]?.delta?.content;
    }
    if (count !== STREAM_CHUNKS) throw new Error(`expected ${STREAM_CHUNKS} chunks, got ${count}`);
    return first;
  };
  const sdkCall = stream ? streamCall : plainCall;
  if (spec.instrumentation === "floor") {
    const call = floorCall(client, tracer, stream, metricsSetup ? handMadeHistograms() : undefined);
    return spec.wrap === "spans" ? inTwoPlainSpans(tracer, call) : call;
  }
  if (spec.wrap === "workflow") {
    const { step, workflow } = require("@telltale/core");
    const workflowOptions = { steps: ["answer"], budget: { tokens: 1e12, costUsd: 1e9 }, deadlineMs: 60_000 };
    return () => workflow("bench", workflowOptions, () => step("answer", sdkCall));
  }
  return sdkCall;
}

/** `call` inside a root span and a step span, made by hand and bare of attributes: what workflow() + step() cost at least. */
function inTwoPlainSpans(tracer, call) {
  const inSpan = (name, fn) =>
    tracer.startActiveSpan(name, async (span) => {
      try {
        return await fn();
      } finally {
        span.end();
      }
    });
  return () => inSpan("invoke_agent bench", () => inSpan("step answer", call));
}

/**
 * The floor for any span-per-call design: one CLIENT span per call, made by hand at the call site, with the GenAI
 * attributes the instrumentations write (request, response and usage), and nothing else. With `histograms`, it also
 * records the GenAI client histograms by hand, as the conventions ask: what a call's metrics cost at least.
 */
function floorCall(client, tracer, stream, histograms) {
  const { context, trace, SpanKind } = require("@opentelemetry/api");
  const core = require("@telltale/core/attributes");
  const requestAttributes = {
    [core.ATTR_GEN_AI_OPERATION_NAME]: "chat",
    [core.ATTR_GEN_AI_PROVIDER_NAME]: "openai",
    [core.ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
    [core.ATTR_GEN_AI_REQUEST_MAX_TOKENS]: 64,
    [core.ATTR_GEN_AI_REQUEST_TEMPERATURE]: 0,
    [core.ATTR_GEN_AI_REQUEST_STREAM]: stream,
    [core.ATTR_SERVER_ADDRESS]: "api.openai.com",
    [core.ATTR_SERVER_PORT]: 443,
  };
  const recordResponse = (span, startedAt, id, model, finishReasons, usage) => {
    span.setAttribute(core.ATTR_GEN_AI_RESPONSE_ID, id);
    span.setAttribute(core.ATTR_GEN_AI_RESPONSE_MODEL, model);
    span.setAttribute(core.ATTR_GEN_AI_RESPONSE_FINISH_REASONS, finishReasons);
    if (usage) {
      span.setAttribute(core.ATTR_GEN_AI_USAGE_INPUT_TOKENS, usage.prompt_tokens);
      span.setAttribute(core.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS, usage.completion_tokens);
    }
    histograms?.record(startedAt, model, usage, undefined);
  };
  return async () => {
    const span = tracer.startSpan(`chat ${MODEL}`, { kind: SpanKind.CLIENT, attributes: requestAttributes });
    const startedAt = performance.now();
    try {
      return await context.with(trace.setSpan(context.active(), span), async () => {
        if (!stream) {
          const completion = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 64, temperature: 0 });
          recordResponse(span, startedAt, completion.id, completion.model, completion.choices.map((choice) => choice.finish_reason), completion.usage);
          return completion.choices[0].message.content;
        }
        const chunks = await client.chat.completions.create({
          model: MODEL,
          messages,
          max_tokens: 64,
          temperature: 0,
          stream: true,
          stream_options: { include_usage: true },
        });
        let first;
        let id = "";
        let model = "";
        let usage;
        const finishReasons = [];
        for await (const chunk of chunks) {
          id = chunk.id;
          model = chunk.model;
          if (chunk.usage) usage = chunk.usage;
          const choice = chunk.choices[0];
          if (choice?.finish_reason) finishReasons.push(choice.finish_reason);
          first ??= choice?.delta?.content;
        }
        recordResponse(span, startedAt, id, model, finishReasons, usage);
        return first;
      });
    } catch (error) {
      span.recordException(error);
      histograms?.record(startedAt, undefined, undefined, error);
      throw error;
    } finally {
      span.end();
    }
  };
}

/**
 * The GenAI client histograms (`gen_ai.client.operation.duration`, `gen_ai.client.token.usage`) on the same
 * instruments Telltale creates, recorded by hand with the attributes the conventions give them: three records a call.
 */
function handMadeHistograms() {
  const { metrics } = require("@opentelemetry/api");
  const { createLlmMetrics } = require("@telltale/core/instrumentation");
  const core = require("@telltale/core/attributes");
  const instruments = createLlmMetrics(metrics.getMeter("bench-floor"));
  const base = {
    [core.ATTR_GEN_AI_OPERATION_NAME]: "chat",
    [core.ATTR_GEN_AI_PROVIDER_NAME]: "openai",
    [core.ATTR_GEN_AI_REQUEST_MODEL]: MODEL,
    [core.ATTR_SERVER_ADDRESS]: "api.openai.com",
    [core.ATTR_SERVER_PORT]: 443,
  };
  return {
    record(startedAt, responseModel, usage, error) {
      const attributes = { ...base };
      if (responseModel !== undefined) attributes[core.ATTR_GEN_AI_RESPONSE_MODEL] = responseModel;
      const tokenAttributes = { ...attributes };
      if (error !== undefined) attributes[core.ATTR_ERROR_TYPE] = error?.constructor?.name ?? "_OTHER";
      instruments.operationDuration.record((performance.now() - startedAt) / 1000, attributes);
      if (usage === undefined) return;
      instruments.tokenUsage.record(usage.prompt_tokens, { ...tokenAttributes, [core.ATTR_GEN_AI_TOKEN_TYPE]: "input" });
      instruments.tokenUsage.record(usage.completion_tokens, { ...tokenAttributes, [core.ATTR_GEN_AI_TOKEN_TYPE]: "output" });
    },
  };
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
