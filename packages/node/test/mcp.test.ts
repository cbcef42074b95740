// @telltale/node enables the MCP instrumentation by default: in real child processes, an ES module app under
// `node --import @telltale/node/register` (2.x client and server) and a CommonJS app after
// `require("@telltale/node/register")` (1.x) export both sides of each tool call in one trace; a bundled-style app
// without the loader hook uses McpInstrumentation.manuallyInstrument(). Spans are read back from a loopback OTLP
// receiver, after the in-process tail sampler decided.
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { fixtures, runChild as runFixture, type ChildResult } from "./child-process.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "./otlp-receiver.js";

const fixture = (name: string): string => path.join(fixtures, name);

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.spans.length = 0;
});

function runChild(args: string[], serviceName: string): Promise<ChildResult> {
  return runFixture(args, { OTEL_SERVICE_NAME: serviceName, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json" });
}

/** The client and server span of one tool call: two spans of that name, the server's parent being the client's. */
function pairOf(serviceName: string, name: string): { client: ReceivedSpan; server: ReceivedSpan } {
  const named = receiver.spans.filter((span) => span.serviceName === serviceName && span.name === name);
  const server = named.find((span) => named.some((other) => other.spanId === span.parentSpanId));
  const client = named.find((span) => span.spanId === server?.parentSpanId);
  if (client === undefined || server === undefined) throw new Error(`no client/server pair named ${name} among ${named.length} spans`);
  return { client, server };
}

describe("@telltale/node with MCP", () => {
  it("ESM under node --import @telltale/node/register: both sides of a 2.x tool call, one trace, the failed one kept", async () => {
    const result = await runChild(["--import", "@telltale/node/register", fixture("app-mcp-esm.mjs")], "mcp-esm");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout.trim())).toEqual({ ok: "sunny in Oslo", failed: true });
    const { client, server } = pairOf("mcp-esm", "tools/call flaky_lookup");
    expect(server.traceId).toBe(client.traceId);
    expect(server.attributes).toMatchObject({ "mcp.method.name": "tools/call", "error.type": "tool_error", "telltale.soft_error": "tool_is_error" });
    // The in-process sampler kept the failed call's trace and said why on its root, the client span.
    expect(client.attributes["telltale.sampling.reasons"]).toEqual(expect.arrayContaining(["error", "soft_error"]));
  });

  it("CommonJS after require(\"@telltale/node/register\"): both sides of a 1.x tool call", async () => {
    const result = await runChild([fixture("app-mcp-cjs.cjs")], "mcp-cjs");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { client, server } = pairOf("mcp-cjs", "tools/call flaky_lookup");
    expect(server.traceId).toBe(client.traceId);
    expect(client.attributes).toMatchObject({ "gen_ai.tool.name": "flaky_lookup", "error.type": "tool_error" });
  });

  it("a bundled-style app: start() from code and McpInstrumentation.manuallyInstrument()", async () => {
    const result = await runChild([fixture("app-mcp-manual.mjs")], "mcp-manual");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { client, server } = pairOf("mcp-manual", "tools/call flaky_lookup");
    expect(server.traceId).toBe(client.traceId);
    expect(server.attributes["telltale.soft_error"]).toBe("tool_is_error");
  });
});
