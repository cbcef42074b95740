// The real transports, both majors: stdio with the server as a child process (instrumented by enable() alone, its
// spans written to a file when it exits), and Streamable HTTP on a loopback server. One trace across the boundary,
// network.transport and the session id on both sides.
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { SpanKind } from "@opentelemetry/api";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport as V1StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport as V1HttpClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer as V1McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport as V1HttpServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { Client as V2Client, StreamableHTTPClientTransport as V2HttpClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport as V2StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { NodeStreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import { McpServer as V2McpServer } from "@modelcontextprotocol/server";
import {
  ATTR_ERROR_TYPE,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_TELLTALE_SOFT_ERROR,
} from "@telltale/core/attributes";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { registerTestTools } from "@telltale/test-utils/mcp-tools";
import { exporter, instrumentAll, spans, until } from "./harness.js";

beforeAll(() => instrumentAll());
beforeEach(() => exporter.reset());

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

interface ReportedSpan {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

interface AnyClient {
  connect(transport: unknown): Promise<void>;
  close(): Promise<void>;
  callTool(...args: unknown[]): Promise<unknown>;
}

const MAJORS = [
  { label: "v1", Client: V1Client, Stdio: V1StdioClientTransport, call: (c: AnyClient, p: unknown) => c.callTool(p, undefined, {}) },
  { label: "v2", Client: V2Client, Stdio: V2StdioClientTransport, call: (c: AnyClient, p: unknown) => c.callTool(p, {}) },
] as const;

describe.each(MAJORS)("$label over stdio, the server a child process", (major) => {
  it("client span here, server span there, one trace; network.transport=pipe on both; the tool error named on the server's span", async () => {
    const spansFile = path.join(mkdtempSync(path.join(tmpdir(), "telltale-mcp-")), "server-spans.json");
    const transport = new major.Stdio({
      command: process.execPath,
      args: ["--import", fixture("esm-register.mjs"), fixture("stdio-server.mjs"), major.label],
      env: { ...process.env, SPANS_FILE: spansFile } as Record<string, string>,
    });
    const client = new major.Client({ name: "stdio-test", version: "1.0.0" }) as unknown as AnyClient;
    await client.connect(transport);
    await major.call(client, { name: "flaky_lookup", arguments: { query: "q" } });
    await client.close();
    await until(() => existsSync(spansFile), "the server's span file", 20_000);

    const clientSpan = spans().find((s) => s.kind === SpanKind.CLIENT && s.name === "tools/call flaky_lookup")!;
    const serverSpans = JSON.parse(readFileSync(spansFile, "utf8")) as ReportedSpan[];
    const serverSpan = serverSpans.find((s) => s.kind === SpanKind.SERVER && s.name === "tools/call flaky_lookup")!;
    expect(serverSpan.traceId).toBe(clientSpan.spanContext().traceId);
    expect(serverSpan.parentSpanId).toBe(clientSpan.spanContext().spanId);
    expect(clientSpan.attributes[ATTR_NETWORK_TRANSPORT]).toBe("pipe");
    expect(serverSpan.attributes).toMatchObject({
      [ATTR_NETWORK_TRANSPORT]: "pipe",
      [ATTR_ERROR_TYPE]: "tool_error",
      [ATTR_TELLTALE_SOFT_ERROR]: "tool_is_error",
    });
    expect(serverSpans.some((s) => s.name === "initialize" && s.kind === SpanKind.SERVER)).toBe(true);
  });
});

/** A Streamable HTTP MCP server on 127.0.0.1 with one stateful transport (one client session). */
async function httpServer(label: "v1" | "v2"): Promise<{ url: URL; close(): Promise<void> }> {
  const mcp = label === "v1" ? new V1McpServer({ name: "http-test", version: "1.0.0" }) : new V2McpServer({ name: "http-test", version: "2.0.0" });
  registerTestTools(mcp);
  const transport =
    label === "v1"
      ? new V1HttpServerTransport({ sessionIdGenerator: () => randomUUID() })
      : new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
  await (mcp as { connect(t: unknown): Promise<void> }).connect(transport);
  const http: HttpServer = createServer((req, res) => {
    (transport as { handleRequest(req: unknown, res: unknown): Promise<void> }).handleRequest(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    close: async () => {
      await (mcp as { close(): Promise<void> }).close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe.each(MAJORS)("$label over Streamable HTTP on a loopback server", (major) => {
  it("one trace; network.transport=tcp, the server address and port on the client, the same session id on both sides", async () => {
    const server = await httpServer(major.label);
    const Transport = major.label === "v1" ? V1HttpClientTransport : V2HttpClientTransport;
    const client = new major.Client({ name: "http-test", version: "1.0.0" }) as unknown as AnyClient;
    await client.connect(new Transport(server.url));
    await major.call(client, { name: "get_weather", arguments: { city: "Oslo" } });
    await client.close();
    await server.close();

    const clientSpan = spans().find((s) => s.kind === SpanKind.CLIENT && s.name === "tools/call get_weather")!;
    const serverSpan = spans().find((s) => s.kind === SpanKind.SERVER && s.name === "tools/call get_weather")!;
    expect(serverSpan.parentSpanContext?.spanId).toBe(clientSpan.spanContext().spanId);
    expect(serverSpan.spanContext().traceId).toBe(clientSpan.spanContext().traceId);
    expect(clientSpan.attributes).toMatchObject({
      [ATTR_NETWORK_TRANSPORT]: "tcp",
      [ATTR_SERVER_ADDRESS]: "127.0.0.1",
      [ATTR_SERVER_PORT]: Number(server.url.port),
    });
    expect(serverSpan.attributes[ATTR_NETWORK_TRANSPORT]).toBe("tcp");
    const sessionId = clientSpan.attributes[ATTR_MCP_SESSION_ID];
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(serverSpan.attributes[ATTR_MCP_SESSION_ID]).toBe(sessionId);
  });
});
