"use strict";
// What each LLM-call line runs. `sdk` is the pnpm alias of the openai major (each other instrumentation on the newest major it
// supports); `bare` names the uninstrumented line on the same major that the ratio is taken against.

const LLM_VARIANTS = {
  "bare@7": { label: "no instrumentation", sdk: "openai-v7", instrumentation: "none", bare: "bare@7" },
  "bare@6": { label: "no instrumentation", sdk: "openai-v6", instrumentation: "none", bare: "bare@6" },
  "floor@7": { label: "hand-made single span (floor)", sdk: "openai-v7", instrumentation: "floor", bare: "bare@7" },
  "floor@6": { label: "hand-made single span (floor)", sdk: "openai-v6", instrumentation: "floor", bare: "bare@6" },
  "telltale@7": { label: "Telltale (defaults)", sdk: "openai-v7", instrumentation: "telltale", bare: "bare@7" },
  "telltale@6": { label: "Telltale (defaults)", sdk: "openai-v6", instrumentation: "telltale", bare: "bare@6" },
  "telltale+metrics@6": {
    label: "Telltale with a real MeterProvider (GenAI histograms on)",
    sdk: "openai-v6",
    instrumentation: "telltale",
    metrics: true,
    bare: "bare@6",
  },
  "floor+metrics@6": {
    label: "the floor with the GenAI histograms recorded by hand (a real MeterProvider)",
    sdk: "openai-v6",
    instrumentation: "floor",
    metrics: true,
    bare: "bare@6",
  },
  "telltale+workflow@7": {
    label: "Telltale, each call in workflow() + step() with budget + deadline",
    sdk: "openai-v7",
    instrumentation: "telltale",
    wrap: "workflow",
    bare: "bare@7",
  },
  "floor+spans@7": {
    label: "the floor inside two plain spans (a root and a step)",
    sdk: "openai-v7",
    instrumentation: "floor",
    wrap: "spans",
    bare: "bare@7",
  },
  "otel@6": { label: "@opentelemetry/instrumentation-openai", sdk: "openai-v6", instrumentation: "otel", bare: "bare@6" },
  "traceloop@6": { label: "@traceloop/instrumentation-openai", sdk: "openai-v6", instrumentation: "traceloop", bare: "bare@6" },
  "arize@7": { label: "@arizeai/openinference-instrumentation-openai", sdk: "openai-v7", instrumentation: "arize", bare: "bare@7" },
};

const INSTRUMENTATION_PACKAGES = {
  telltale: "@telltale/instrumentation-openai",
  otel: "@opentelemetry/instrumentation-openai",
  traceloop: "@traceloop/instrumentation-openai",
  arize: "@arizeai/openinference-instrumentation-openai",
};

module.exports = { LLM_VARIANTS, INSTRUMENTATION_PACKAGES };
