"use strict";
// How much of one call's garbage survives young-generation collections (and is then promoted), measured without
// a clock, so that machine noise does not enter: after two full collections and two scavenges, 20 calls, an export
// of their spans and three forced scavenges, the growth of old space per call (three rounds, after one left out). Run with --expose-gc:
//
//   node --expose-gc bench/src/retention-probe.cjs telltale@7
//
// Variants: every plain-call variant of the bench (bare@N, floor@N, telltale@N and the other instrumentations), not the workflow
// one. docs/performance.md says what the numbers showed.

const v8 = require("node:v8");
const { context, trace } = require("@opentelemetry/api");
const { setupTracing } = require("./tracing.cjs");
const { cannedFetch, MODEL } = require("./canned-fetch.cjs");
const { LLM_VARIANTS } = require("./variants.cjs");
const { enableInstrumentation } = require("./instrumentations.cjs");

const CALLS = 20;
const WARMUP = 2000;

async function main() {
  if (typeof globalThis.gc !== "function") throw new Error("run with node --expose-gc");
  const variant = process.argv[2] ?? "telltale@7";
  const spec = LLM_VARIANTS[variant];
  if (!spec || spec.wrap) throw new Error(`retention-probe takes a plain-call variant (bare@N, floor@N, telltale@N, otel@6, …), not ${variant}`);
  const { provider, tracer } = setupTracing();
  enableInstrumentation(spec.instrumentation, provider);
  const loaded = require(spec.sdk);
  const OpenAI = loaded.OpenAI ?? loaded.default ?? loaded;
  const client = new OpenAI({ apiKey: "sk-bench", baseURL: "https://api.openai.com/v1", fetch: cannedFetch, maxRetries: 2 });
  const body = { model: MODEL, messages: [{ role: "user", content: "What is the capital of France?" }], max_tokens: 64, temperature: 0 };
  const sdkCall = () => client.chat.completions.create(body);
  const call =
    spec.instrumentation === "floor"
      ? async () => {
          const span = tracer.startSpan(`chat ${MODEL}`);
          try {
            return await context.with(trace.setSpan(context.active(), span), sdkCall);
          } finally {
            span.end();
          }
        }
      : sdkCall;
  const oldSpaceUsed = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === "old_space").space_used_size;

  for (let index = 0; index < WARMUP; index++) {
    await call();
    if (index % 32 === 31) await new Promise((resolve) => setImmediate(resolve));
  }
  await provider.forceFlush();
  gc();
  gc();
  const perCall = [];
  // The first round after the full collections runs ~1.4 KB per call higher on every variant: it is left out.
  for (let round = 0; round < 4; round++) {
    gc({ type: "minor" });
    gc({ type: "minor" });
    const before = oldSpaceUsed();
    for (let index = 0; index < CALLS; index++) await call();
    await provider.forceFlush();
    gc({ type: "minor" });
    gc({ type: "minor" });
    gc({ type: "minor" });
    if (round > 0) perCall.push(Math.round((oldSpaceUsed() - before) / CALLS));
  }
  process.stdout.write(`${variant}: bytes per call kept through three scavenges: ${perCall.join(", ")}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
