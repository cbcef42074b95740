/**
 * The agent's side of the demo's MCP server: it starts `dist/mcp-server.mjs` as a child process over stdio and
 * connects a 2.x `@modelcontextprotocol/client` to it. Both are instrumented by @telltale/node: each call is a CLIENT
 * span here and a SERVER span in the child, one trace, with the trace context in `params._meta`.
 */
import { mkdtempSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { context } from "@opentelemetry/api";
import { suppressTracing } from "@opentelemetry/core";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { readSpans } from "./remote-spans.js";

export const RUNBOOK_SERVER = "telltale-demo-runbooks";
export const RUNBOOK_TOOL = "lookup_runbook";
/** The service whose runbook the server cannot fetch (the `runbook_unavailable` scenario asks for it). */
export const UNAVAILABLE_RUNBOOK_SERVICE = "billing-export";

export interface Runbooks {
  /** `tools/call lookup_runbook`: the runbook's text; a failed lookup is on the spans, and returns undefined. */
  lookup(service: string, timeoutMs: number): Promise<string | undefined>;
  /** Closes the connection; the child exits and hands back the spans it kept. */
  close(): Promise<Map<string, ReadableSpan[]>>;
}

interface ToolResult {
  content: Array<{ type: string; text?: string }>;
  isError?: boolean;
}

/** Starts the server child process and connects to it. Call after @telltale/node's start(). */
export async function connectRunbooks(): Promise<Runbooks> {
  const { Client } = await import("@modelcontextprotocol/client");
  const { StdioClientTransport } = await import("@modelcontextprotocol/client/stdio");
  const dir = mkdtempSync(path.join(tmpdir(), "telltale-demo-"));
  const spansFile = path.join(dir, "runbook-server-spans.json");
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [fileURLToPath(new URL("./mcp-server.mjs", import.meta.url))],
    env: { ...process.env, TELLTALE_DEMO_SPANS_FILE: spansFile } as Record<string, string>,
    stderr: "inherit",
  });
  const client = new Client({ name: "telltale-demo-agent", version: "1.0.0" });
  // The session's set-up is not one of the agent's runs: it is left out of the traces the demo counts.
  await context.with(suppressTracing(context.active()), () => client.connect(transport));
  return {
    async lookup(service, timeoutMs) {
      try {
        const result = (await client.callTool({ name: RUNBOOK_TOOL, arguments: { service } }, { timeout: timeoutMs })) as ToolResult;
        return result.isError ? undefined : result.content.find((block) => block.type === "text")?.text;
      } catch {
        return undefined; // a timeout or a dropped connection: on the client span, and the agent goes on without
      }
    },
    async close() {
      // Closing ends the child's stdin; the SDK waits for it to exit (and signals it after 2 s).
      await client.close();
      // The child writes its spans on its way out; give it the time it needs on a loaded machine.
      for (let waited = 0; !existsSync(spansFile) && waited < 20_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      const spans = existsSync(spansFile) ? readSpans(spansFile) : new Map<string, ReadableSpan[]>();
      rmSync(dir, { recursive: true, force: true });
      return spans;
    },
  };
}
