"use strict";
// What each line of the pipeline benchmark runs, set up as its users set it up, before `openai` is loaded:
//   bare                no telemetry at all: what the agent costs by itself
//   otel, traceloop,    the other OpenTelemetry instrumentation of openai through the OpenTelemetry Node SDK, as their READMEs show it:
//   arize               NodeSDK with the OTLP/HTTP (protobuf) trace exporter, i.e. a BatchSpanProcessor; the
//                       workflow, steps and tools as plain spans made by hand
//   telltale            @telltale/node's start() with its defaults: the in-process tail sampler, OTLP/HTTP
//   telltale-collector  the same with TELLTALE_SAMPLING=collector: every span exported, batched
// Both Telltale lines mark the structure with @telltale/core (manifest, budget, deadline). Every line reads the same
// environment (the parent sets OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, and OTEL_METRICS_EXPORTER=none and
// OTEL_LOGS_EXPORTER=none, so that every line pays for its traces alone).

const ANCHORS = {
  otel: "@opentelemetry/instrumentation-openai",
  traceloop: "@traceloop/instrumentation-openai",
  arize: "@arizeai/openinference-instrumentation-openai",
};

const LINES = ["bare", "otel", "traceloop", "arize", "telltale", "telltale-collector"];

/** A line name, or an A/A twin of one (`telltale~aa`), to the line it runs. */
const lineOf = (name) => name.replace(/~aa$/, "");

/** Starts `name`'s telemetry; returns `{ structure, shutdown(), stats() }`. */
function startLine(name) {
  const line = lineOf(name);
  if (line === "bare") return { structure: bareStructure(), shutdown: async () => {}, stats: () => undefined };
  if (ANCHORS[line]) return startAnchor(line);
  if (line === "telltale" || line === "telltale-collector") return startTelltale(line);
  throw new Error(`unknown pipeline line ${name}; known: ${LINES.join(", ")}`);
}

function bareStructure() {
  return {
    workflow: (_name, _steps, fn) => fn(undefined),
    step: (_name, fn) => fn(),
    tool: (_name, fn) => fn(),
  };
}

function startAnchor(line) {
  const { NodeSDK } = require("@opentelemetry/sdk-node");
  const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-proto");
  const { OpenAIInstrumentation } = require(ANCHORS[line]);
  const sdk = new NodeSDK({ traceExporter: new OTLPTraceExporter(), instrumentations: [new OpenAIInstrumentation()] });
  sdk.start();
  return { structure: plainSpanStructure(), shutdown: () => sdk.shutdown(), stats: () => undefined };
}

/** The workflow, steps and tools as a user of another instrumentation writes them: plain spans, errors recorded on the way out. */
function plainSpanStructure() {
  const { SpanStatusCode, trace } = require("@opentelemetry/api");
  const tracer = trace.getTracer("triage-agent");
  const inSpan = (name, attributes, fn) =>
    tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        throw error;
      } finally {
        span.end();
      }
    });
  return {
    workflow: (name, _steps, fn) =>
      inSpan(`invoke_agent ${name}`, { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": name }, (span) =>
        fn(span.spanContext().traceId),
      ),
    step: (name, fn) => inSpan(`step ${name}`, {}, () => fn()),
    tool: (name, fn) =>
      inSpan(`execute_tool ${name}`, { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name }, () => fn()),
  };
}

function startTelltale(line) {
  if ((process.env.TELLTALE_SAMPLING ?? "in-process") !== (line === "telltale" ? "in-process" : "collector")) {
    throw new Error(`${line}: TELLTALE_SAMPLING is ${process.env.TELLTALE_SAMPLING ?? "unset"}`);
  }
  const telltale = require("@telltale/node").start();
  const core = require("@telltale/core");
  const workflowOptions = (steps) => ({ steps, budget: { tokens: 1_000_000, costUsd: 50 }, deadlineMs: 120_000 });
  const structure = {
    workflow: (name, steps, fn) => core.workflow(name, workflowOptions(steps), ({ span }) => fn(span.spanContext().traceId)),
    step: (name, fn) => core.step(name, () => fn()),
    tool: (name, fn) => core.tool(name, () => fn()),
  };
  const stats = () => {
    const sampler = telltale.sampler?.stats();
    // Kept means delivered: the kept traces the exporter took whole, and any spans of kept traces lost, by reason.
    return (
      sampler && {
        tracesKept: sampler.tracesKept,
        tracesDropped: sampler.tracesDropped,
        tracesExported: sampler.tracesExported,
        tracesLost: sampler.tracesLost,
        keptTracesByReason: sampler.keptTracesByReason,
        spansLost: sampler.spansLost,
        lostSpansByReason: sampler.lostSpansByReason,
      }
    );
  };
  return { structure, shutdown: () => telltale.shutdown(), stats };
}

module.exports = { LINES, ANCHORS, lineOf, startLine };
