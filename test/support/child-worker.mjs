// A second process for the end-to-end tests: continues a trace started elsewhere (W3C traceparent from argv) and
// exports its own spans over OTLP/HTTP, or POSTs a prepared OTLP/JSON body. Prints one JSON line with what it sent.
//   node child-worker.mjs span <otlpHttpUrl> <traceparent> <serviceName> <spanName> <error|ok>
//   node child-worker.mjs post <otlpHttpUrl> <file.json>
import { readFileSync } from "node:fs";
import { context, SpanStatusCode } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

const [mode, otlpHttpUrl, ...rest] = process.argv.slice(2);

if (mode === "post") {
  const response = await fetch(`${otlpHttpUrl}/v1/traces`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: readFileSync(rest[0], "utf8"),
  });
  console.log(JSON.stringify({ status: response.status }));
  process.exit(response.ok ? 0 : 1);
}

const [traceparent, serviceName, spanName, outcome] = rest;
const provider = new TracerProvider({
  resource: resourceFromAttributes({ "service.name": serviceName }),
  spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlpHttpUrl}/v1/traces` }) })],
});
const parent = new W3CTraceContextPropagator().extract(context.active(), { traceparent }, {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
});
const span = provider.getTracer("telltale-e2e-child").startSpan(spanName, {}, parent);
if (outcome === "error") span.setStatus({ code: SpanStatusCode.ERROR, message: "tool failed in the worker" });
span.end();
await provider.shutdown();
console.log(JSON.stringify({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId }));
