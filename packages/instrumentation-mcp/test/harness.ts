// Test harness: the shared test telemetry (in-memory exporters, registered globally once per test file), one
// instrumentation patching both SDK majors through the manual path, and a client/server pair of either major over
// the in-memory transport, serving the tools of @telltale/test-utils/mcp-tools.
import { McpInstrumentation, type McpInstrumentationConfig } from "@telltale/instrumentation-mcp";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport as V1InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer as V1McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import * as v1Protocol from "@modelcontextprotocol/sdk/shared/protocol.js";
import * as v2Client from "@modelcontextprotocol/client";
import * as v2Server from "@modelcontextprotocol/server";
import { registerTestTools } from "@telltale/test-utils/mcp-tools";

// The tracer and meter providers for this file are registered when this import runs.
export { allSpansExporter, attr, everyValue, exporter, metricPoints, onlySpan, spans, until } from "@telltale/test-utils/telemetry";

/** One instrumentation for the file; `enabled: false` keeps the require/import hooks out of the test process. */
export const instrumentation = new McpInstrumentation({ enabled: false });

export function instrumentAll(config: McpInstrumentationConfig = {}): void {
  instrumentation.setConfig({ enabled: false, ...config });
  instrumentation.manuallyInstrument(v1Protocol);
  instrumentation.manuallyInstrument(v2Client);
  instrumentation.manuallyInstrument(v2Server);
}

/** What a test calls on a client, whichever major it is. */
export interface TestClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }, options?: RequestOptions): Promise<ToolResult>;
  getPrompt(params: { name: string; arguments?: Record<string, string> }): Promise<unknown>;
  readResource(params: { uri: string }): Promise<unknown>;
  listTools(): Promise<unknown>;
  close(): Promise<void>;
}

export interface RequestOptions {
  timeout?: number;
  signal?: AbortSignal;
  onprogress?: (progress: { progress: number; total?: number }) => void;
}

export interface ToolResult {
  content: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

export interface Pair {
  client: TestClient;
  close(): Promise<void>;
}

export interface Major {
  label: string;
  /** A connected client and server over the in-memory transport. */
  connect(): Promise<Pair>;
}

interface AnyClient {
  connect(transport: unknown): Promise<void>;
  close(): Promise<void>;
  callTool(...args: unknown[]): Promise<unknown>;
  getPrompt(...args: unknown[]): Promise<unknown>;
  readResource(...args: unknown[]): Promise<unknown>;
  listTools(...args: unknown[]): Promise<unknown>;
}

function wrapClient(client: AnyClient, v1: boolean): TestClient {
  return {
    // v1 takes (params, resultSchema, options), v2 (params, options).
    callTool: (params, options) => (v1 ? client.callTool(params, undefined, options) : client.callTool(params, options)) as Promise<ToolResult>,
    getPrompt: (params) => client.getPrompt(params),
    readResource: (params) => client.readResource(params),
    listTools: () => client.listTools(),
    close: () => client.close(),
  };
}

export const V1: Major = {
  label: "@modelcontextprotocol/sdk 1.x",
  async connect() {
    const server = new V1McpServer({ name: "test-server", version: "1.0.0" });
    registerTestTools(server);
    const client = new V1Client({ name: "test-client", version: "1.0.0" });
    const [clientTransport, serverTransport] = V1InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    await client.connect(clientTransport);
    return { client: wrapClient(client as unknown as AnyClient, true), close: async () => void (await client.close(), await server.close()) };
  },
};

export const V2: Major = {
  label: "@modelcontextprotocol/client + server 2.x",
  async connect() {
    const server = new v2Server.McpServer({ name: "test-server", version: "2.0.0" });
    registerTestTools(server);
    const client = new v2Client.Client({ name: "test-client", version: "2.0.0" });
    const [clientTransport, serverTransport] = v2Client.InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    await client.connect(clientTransport);
    return { client: wrapClient(client as unknown as AnyClient, false), close: async () => void (await client.close(), await server.close()) };
  },
};

export const MAJORS: Major[] = [V1, V2];
