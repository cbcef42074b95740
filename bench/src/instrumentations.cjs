"use strict";
// Enables one LLM variant's instrumentation on a tracer provider, the same way for the bench workers and the probes.

function enableInstrumentation(kind, provider) {
  switch (kind) {
    case "none":
    case "floor":
      return undefined;
    case "telltale": {
      const { OpenAIInstrumentation } = require("@telltale/instrumentation-openai");
      return register(new OpenAIInstrumentation(), provider);
    }
    case "otel": {
      const { OpenAIInstrumentation } = require("@opentelemetry/instrumentation-openai");
      return register(new OpenAIInstrumentation(), provider);
    }
    case "traceloop": {
      const { OpenAIInstrumentation } = require("@traceloop/instrumentation-openai");
      return register(new OpenAIInstrumentation(), provider);
    }
    case "arize": {
      const { OpenAIInstrumentation } = require("@arizeai/openinference-instrumentation-openai");
      return register(new OpenAIInstrumentation(), provider);
    }
    default:
      throw new Error(`unknown instrumentation ${kind}`);
  }
}

/**
 * What `registerInstrumentations` does, done by hand because each other instrumentation brings its own copy of the instrumentation
 * base class: the tracer provider, the global (no-op) meter provider, enable. The meter provider matters:
 * @opentelemetry/instrumentation-openai 0.22 only creates its histograms in setMeterProvider (its class fields reset
 * the ones the base constructor made), and its stream wrapper throws without them.
 */
function register(instrumentation, provider) {
  const { metrics } = require("@opentelemetry/api");
  instrumentation.setTracerProvider(provider);
  if (typeof instrumentation.setMeterProvider === "function") instrumentation.setMeterProvider(metrics.getMeterProvider());
  instrumentation.enable();
  return instrumentation;
}

module.exports = { enableInstrumentation };
