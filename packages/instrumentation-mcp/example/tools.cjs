// A runnable example: an MCP client and server (the 2.x SDK) in one process, traced by
// @telltale/instrumentation-mcp through the CommonJS require hook. Prints each finished span as one line.
//   cd packages/instrumentation-mcp && node example/tools.cjs
"use strict";
const { context, trace, SpanKind } = require("@opentelemetry/api");
const { AsyncLocalStorageContextManager } = require("@opentelemetry/context-async-hooks");
const { SimpleSpanProcessor, TracerProvider } = require("@opentelemetry/sdk-trace");
const { registerInstrumentations } = require("@opentelemetry/instrumentation");
const { McpInstrumentation } = require("@telltale/instrumentation-mcp");

// Prints `kind name  key=value …` for the attributes this example is about.
const shown = ["mcp.method.name", "gen_ai.tool.name", "jsonrpc.request.id", "error.type", "telltale.soft_error", "telltale.soft_error.detail"];
const printer = {
  export(spans, done) {
    for (const span of spans) {
      const kind = span.kind === SpanKind.CLIENT ? "CLIENT" : span.kind === SpanKind.SERVER ? "SERVER" : "INTERNAL";
      const parent = span.parentSpanContext ? ` parent=${span.parentSpanContext.spanId}` : "";
      const attributes = shown.filter((key) => key in span.attributes).map((key) => `${key}=${span.attributes[key]}`);
      console.log(`${kind} ${span.name} span=${span.spanContext().spanId}${parent} ${attributes.join(" ")}`);
    }
    done({ code: 0 });
  },
  shutdown: async () => {},
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: printer })] }));
registerInstrumentations({ instrumentations: [new McpInstrumentation()] });

// Required after registerInstrumentations: the require hook patches them as they load.
const { Client, InMemoryTransport } = require("@modelcontextprotocol/client");
const { McpServer } = require("@modelcontextprotocol/server");
const { z } = require("zod");

async function main() {
  const server = new McpServer({ name: "weather", version: "1.0.0" });
  server.registerTool("get_weather", { description: "Weather for a city", inputSchema: { city: z.string() } }, async ({ city }) => {
    if (city === "Atlantis") throw new Error("no station in Atlantis");
    return { content: [{ type: "text", text: `sunny in ${city}` }] };
  });
  const client = new Client({ name: "agent", version: "1.0.0" });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  await client.callTool({ name: "get_weather", arguments: { city: "Oslo" } });
  await client.callTool({ name: "get_weather", arguments: { city: "Atlantis" } }); // an isError result, not a throw
  await client.close();
}

main();
