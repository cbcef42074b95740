// Context across the boundary: what the client writes into params._meta (unprefixed W3C keys, baggage, Telltale's
// workflow carrier), what a server makes of a request from a client that is not instrumented, of a trace context
// from elsewhere, of a malformed _meta, and of a transport span of its own (linked, not the parent).
import { context, diag, DiagLogLevel, propagation, SpanKind, trace, type DiagLogger } from "@opentelemetry/api";
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { workflow } from "@telltale/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerTestTools } from "@telltale/test-utils/mcp-tools";
import { MAJORS, exporter, instrumentAll, spans, until } from "./harness.js";

// Each diagnostic as the logger got it: the component's namespace, then the message.
const reported: unknown[][] = [];
const warnings: string[] = [];
const keep = (...args: unknown[]): void => {
  reported.push(args);
  warnings.push(args.filter((arg) => typeof arg === "string").join(" "));
};
const logger: DiagLogger = {
  error: keep,
  warn: keep,
  info: () => undefined,
  debug: () => undefined,
  verbose: () => undefined,
};

beforeAll(() => {
  instrumentAll();
  diag.setLogger(logger, DiagLogLevel.WARN);
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
});
afterAll(() => {
  diag.disable();
  propagation.disable();
});

describe.each(MAJORS)("$label: what the client sends", (major) => {
  it("unprefixed traceparent and baggage, and Telltale's workflow carrier, in params._meta; the server sees the baggage", async () => {
    const pair = await major.connect();
    const withBaggage = propagation.setBaggage(context.active(), propagation.createBaggage({ user: { value: "alice" } }));
    const result = await context.with(withBaggage, () =>
      workflow("w", { deadlineMs: 10_000 }, () => pair.client.callTool({ name: "inspect_request" })),
    );
    await pair.close();
    const seen = JSON.parse(result.content[0]?.text ?? "{}") as { metaKeys: string[]; user: string | null };
    expect(seen.metaKeys).toEqual(expect.arrayContaining(["baggage", "telltale-workflow", "traceparent"]));
    expect(seen.user).toBe("alice");
  });
});

/** A client that is not an MCP SDK client at all: raw JSON-RPC over the in-memory transport to a v1 server. */
async function rawClient() {
  const server = new McpServer({ name: "raw-target", version: "1.0.0" });
  registerTestTools(server);
  const [raw, serverTransport] = InMemoryTransport.createLinkedPair();
  const responses: Array<{ id?: unknown; result?: unknown; error?: unknown }> = [];
  raw.onmessage = (message) => void responses.push(message as (typeof responses)[number]);
  await server.connect(serverTransport);
  await raw.start();
  let id = 0;
  const request = async (method: string, params: Record<string, unknown>) => {
    id += 1;
    const sent = id;
    await raw.send({ jsonrpc: "2.0", id: sent, method, params });
    await until(() => responses.some((r) => r.id === sent), `the response to ${method}`);
    return responses.find((r) => r.id === sent)!;
  };
  await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } });
  await raw.send({ jsonrpc: "2.0", method: "notifications/initialized" });
  return { request, close: () => server.close() };
}

const serverSpan = () => spans().find((s) => s.kind === SpanKind.SERVER && s.name === "tools/call get_weather")!;

describe("what the server makes of it", () => {
  beforeEach(() => {
    exporter.reset();
    warnings.length = 0;
    reported.length = 0;
  });

  it("a client that sends no trace context: the server span is a correct root", async () => {
    const client = await rawClient();
    const response = await client.request("tools/call", { name: "get_weather", arguments: { city: "Oslo" } });
    await client.close();
    expect(response.result).toEqual({ content: [{ type: "text", text: "sunny in Oslo" }] });
    expect(serverSpan().parentSpanContext).toBeUndefined();
    expect(serverSpan().links).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("a traceparent from another process: the server span is its remote child", async () => {
    const client = await rawClient();
    await client.request("tools/call", {
      name: "get_weather",
      arguments: { city: "Oslo" },
      _meta: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
    });
    await client.close();
    expect(serverSpan().spanContext().traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(serverSpan().parentSpanContext).toMatchObject({ spanId: "00f067aa0ba902b7", isRemote: true });
  });

  it("a malformed traceparent is ignored with a diag message; the request is served, under a root span", async () => {
    const client = await rawClient();
    const response = await client.request("tools/call", { name: "get_weather", arguments: { city: "Oslo" }, _meta: { traceparent: "not-a-traceparent" } });
    await client.close();
    expect(response.result).toBeDefined();
    expect(serverSpan().parentSpanContext).toBeUndefined();
    expect(reported).toContainEqual(["@telltale/instrumentation-mcp", "ignoring malformed trace context in the params._meta of an MCP tools/call request"]);
  });

  it("a malformed workflow carrier costs the workflow, not the trace", async () => {
    const client = await rawClient();
    await client.request("tools/call", {
      name: "get_weather",
      arguments: { city: "Oslo" },
      _meta: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "telltale-workflow": "{not json" },
    });
    await client.close();
    expect(serverSpan().parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(warnings.some((w) => w.includes("malformed telltale-workflow"))).toBe(true);
  });

  it("a transport span of the server's own (an HTTP request, say) is linked, and the MCP parent stays the client's", async () => {
    const client = await rawClient();
    const transportSpan = trace.getTracer("http-server").startSpan("POST /mcp", { kind: SpanKind.SERVER });
    await context.with(trace.setSpan(context.active(), transportSpan), () =>
      client.request("tools/call", {
        name: "get_weather",
        arguments: { city: "Oslo" },
        _meta: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
      }),
    );
    transportSpan.end();
    await client.close();
    expect(serverSpan().parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(serverSpan().links.map((link) => link.context.spanId)).toEqual([transportSpan.spanContext().spanId]);
  });
});
