"use strict";
// The same OpenTelemetry setup for every variant: AsyncLocalStorage context, a 3.x TracerProvider, a
// BatchSpanProcessor and an exporter that only counts, so the export pipeline costs the same everywhere and the
// count proves each instrumentation really made its spans.

const { context, trace } = require("@opentelemetry/api");
const { AsyncLocalStorageContextManager } = require("@opentelemetry/context-async-hooks");
const { BatchSpanProcessor, TracerProvider } = require("@opentelemetry/sdk-trace");

const countingExporter = {
  spans: 0,
  names: new Set(),
  /** Attribute and event counts of the last span seen per name: how much each variant writes per call. */
  shapes: new Map(),
  export(spans, resultCallback) {
    this.spans += spans.length;
    for (const span of spans) {
      this.names.add(span.name);
      this.shapes.set(span.name, { attributes: Object.keys(span.attributes).length, events: span.events.length });
    }
    resultCallback({ code: 0 });
  },
  reset() {
    this.spans = 0;
    this.names.clear();
    this.shapes.clear();
  },
  shutdown: async () => {},
  forceFlush: async () => {},
};

/** A queue deep enough that no span is dropped between two scheduled exports, whatever the call rate. */
const MAX_QUEUE_SIZE = 1 << 20;

function setupTracing(spanProcessors) {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const processors = spanProcessors ?? [
    new BatchSpanProcessor({ exporter: countingExporter, maxQueueSize: MAX_QUEUE_SIZE, maxExportBatchSize: 512 }),
  ];
  const provider = new TracerProvider({ spanProcessors: processors });
  trace.setGlobalTracerProvider(provider);
  return { provider, tracer: provider.getTracer("telltale-bench") };
}

/**
 * A loop of awaited calls that resolve through microtasks alone never lets timers run, so the BatchSpanProcessor
 * would never export and its queue (and the GC work) would grow without bound. A server's event loop turns between
 * requests; the benchmarks turn it every TURN_EVERY calls, for every variant alike.
 */
const TURN_EVERY = 32;
const turnEventLoop = () => new Promise((resolve) => setImmediate(resolve));

/** Awaits `call` `count` times, turning the event loop every TURN_EVERY calls. */
async function callRepeatedly(call, count) {
  for (let index = 0; index < count; index++) {
    await call();
    if (index % TURN_EVERY === TURN_EVERY - 1) await turnEventLoop();
  }
}

module.exports = { setupTracing, countingExporter, callRepeatedly };
