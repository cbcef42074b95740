"use strict";
// One process = one way of running the Vercel AI SDK (ai 7): generateText over an in-process language model (no
// HTTP, no JSON: only the AI SDK and its instrumentation cost anything), awaited call after call.
//   instrumentation: "bare" (nothing), "telltale" (registerTelemetry(telltaleTelemetry()), the one-line setup),
//                    "telltale-middleware" (wrapLanguageModel with telltaleMiddleware(), inside agentRun)
//   aiTelemetry:     "off", or "on": the AI SDK's own OpenTelemetry spans (@ai-sdk/otel) registered as well
//
// argv[2]: JSON { instrumentation, aiTelemetry, warmup, samples, callsPerSample, lockstep? } (lockstep: samples.cjs)

const { setupTracing, countingExporter, callRepeatedly } = require("./tracing.cjs");
const { takeSamples } = require("./samples.cjs");

const USAGE = {
  inputTokens: { total: 12, noCache: 12, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 6, text: 6, reasoning: 0 },
};

/** A language model (specification v4) that answers at once from memory. */
function inProcessModel() {
  let id = 0;
  return {
    specificationVersion: "v4",
    provider: "openai.chat",
    modelId: "gpt-4o-mini",
    supportedUrls: {},
    async doGenerate() {
      id += 1;
      return {
        content: [{ type: "text", text: "An answer from memory." }],
        finishReason: { unified: "stop", raw: "stop" },
        usage: USAGE,
        warnings: [],
        response: { id: `chatcmpl-${id}`, modelId: "gpt-4o-mini", timestamp: new Date(0) },
      };
    },
    async doStream() {
      throw new Error("not used by this benchmark");
    },
  };
}

async function main() {
  const options = JSON.parse(process.argv[2] ?? "{}");
  const { provider } = setupTracing();
  // ai 7 is an ES module: loaded after the tracer provider is registered.
  const ai = await import("ai");
  const telltale = require("@telltale/ai-sdk");
  const integrations = [];
  if (options.instrumentation === "telltale") integrations.push(telltale.telltaleTelemetry());
  if (options.aiTelemetry === "on") integrations.push(new (await import("@ai-sdk/otel")).OpenTelemetry());
  if (integrations.length > 0) ai.registerTelemetry(...integrations);

  let model = inProcessModel();
  let call = () => ai.generateText({ model, prompt: "What is in memory?" });
  if (options.instrumentation === "telltale-middleware") {
    model = ai.wrapLanguageModel({ model, middleware: telltale.telltaleMiddleware() });
    const generate = call;
    call = () => telltale.agentRun("bench", {}, generate);
  } else if (options.instrumentation !== "bare" && options.instrumentation !== "telltale") {
    throw new Error(`unknown instrumentation ${options.instrumentation}`);
  }

  await callRepeatedly(call, options.warmup);
  // The warm-up's spans are exported before counting starts, so the count is the measured calls' alone.
  await provider.forceFlush();
  countingExporter.reset();
  const { values: perCallUs, taken } = await takeSamples(
    options,
    () => callRepeatedly(call, options.callsPerSample),
    options.callsPerSample,
  );
  const perCallNs = perCallUs.map((value) => value * 1000);
  await provider.forceFlush();
  const calls = taken * options.callsPerSample;
  const result = {
    instrumentation: options.instrumentation,
    aiTelemetry: options.aiTelemetry,
    perCallNs,
    spansPerCall: countingExporter.spans / calls,
    spanNames: [...countingExporter.names].sort(),
  };
  await provider.shutdown();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
