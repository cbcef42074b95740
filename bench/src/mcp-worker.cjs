"use strict";
// One process = one MCP variant: `tools/call` between a client and a server of the same SDK major in this process,
// over the SDK's in-memory transport, both sides instrumented by @telltale/instrumentation-mcp (a CLIENT and a
// SERVER span per call, the context carried in params._meta) or neither (bare). Every call is awaited.
//
// argv[2]: JSON { sdk: "v1" | "v2", impl: "bare" | "telltale", warmup, samples, callsPerSample, lockstep? }
// (lockstep: see samples.cjs)

const { setupTracing, countingExporter, callRepeatedly } = require("./tracing.cjs");
const { takeSamples } = require("./samples.cjs");

/** The SDK's classes, and the modules the instrumentation patches, for one major. */
function loadSdk(sdk) {
  if (sdk === "v1") {
    return {
      Client: require("@modelcontextprotocol/sdk/client/index.js").Client,
      McpServer: require("@modelcontextprotocol/sdk/server/mcp.js").McpServer,
      InMemoryTransport: require("@modelcontextprotocol/sdk/inMemory.js").InMemoryTransport,
      call: (client, params) => client.callTool(params, undefined, {}),
      patched: [require("@modelcontextprotocol/sdk/shared/protocol.js")],
    };
  }
  const client = require("@modelcontextprotocol/client");
  const server = require("@modelcontextprotocol/server");
  return {
    Client: client.Client,
    McpServer: server.McpServer,
    InMemoryTransport: client.InMemoryTransport,
    call: (c, params) => c.callTool(params, {}),
    patched: [client, server],
  };
}

async function main() {
  const options = JSON.parse(process.argv[2] ?? "{}");
  const { provider } = setupTracing();
  const sdk = loadSdk(options.sdk);
  if (options.impl === "telltale") {
    const { McpInstrumentation } = require("@telltale/instrumentation-mcp");
    const instrumentation = new McpInstrumentation({ enabled: false });
    for (const module of sdk.patched) instrumentation.manuallyInstrument(module);
  } else if (options.impl !== "bare") {
    throw new Error(`unknown impl ${options.impl}`);
  }
  const { z } = require("zod");
  const server = new sdk.McpServer({ name: "bench-server", version: "1.0.0" });
  server.registerTool("get_weather", { description: "Weather", inputSchema: { city: z.string() } }, async ({ city }) => ({
    content: [{ type: "text", text: `sunny in ${city}` }],
  }));
  const client = new sdk.Client({ name: "bench-client", version: "1.0.0" });
  const [clientTransport, serverTransport] = sdk.InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  const params = { name: "get_weather", arguments: { city: "Oslo" } };
  const op = () => sdk.call(client, params);

  await callRepeatedly(op, options.warmup);
  await provider.forceFlush();
  countingExporter.reset();
  const { values: perCallUs, taken } = await takeSamples(
    options,
    () => callRepeatedly(op, options.callsPerSample),
    options.callsPerSample,
  );
  await provider.forceFlush();
  const calls = taken * options.callsPerSample;
  const result = {
    sdk: options.sdk,
    impl: options.impl,
    perCallUs,
    spansPerCall: countingExporter.spans / calls,
    spanShapes: Object.fromEntries(countingExporter.shapes),
  };
  await client.close();
  await server.close();
  await provider.shutdown();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
