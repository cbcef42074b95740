/**
 * The demo's MCP server, run by the demo as a child process over stdio: a `runbooks` server (the 2.x
 * `@modelcontextprotocol/server`) with one tool, `lookup_runbook`. Its store times out for the `billing-export`
 * service: the tool answers `isError`, which Telltale names on this process's SERVER span (the child of the agent's
 * CLIENT span, in the agent's trace). Telemetry is @telltale/node's, like the agent's; the spans it keeps are written
 * to TELLTALE_DEMO_SPANS_FILE when stdin closes, for the demo to draw.
 */
import { startTelemetry } from "./telemetry.js";
import { writeSpans } from "./remote-spans.js";
import { RUNBOOK_SERVER, RUNBOOK_TOOL, UNAVAILABLE_RUNBOOK_SERVICE } from "./runbooks.js";
import { BASELINE_PERCENTAGE, SLOW_THRESHOLD_MS } from "./policy.js";

async function main(): Promise<void> {
  const telemetry = startTelemetry({ serviceName: RUNBOOK_SERVER, slowThresholdMs: SLOW_THRESHOLD_MS, baselinePercentage: BASELINE_PERCENTAGE });
  // Imported after start() (and its ESM loader hook), so @telltale/node's MCP instrumentation patches it.
  const { McpServer } = await import("@modelcontextprotocol/server");
  const { StdioServerTransport } = await import("@modelcontextprotocol/server/stdio");
  const { z } = await import("zod");

  const server = new McpServer({ name: RUNBOOK_SERVER, version: "1.0.0" });
  server.registerTool(
    RUNBOOK_TOOL,
    { description: "The on-call runbook of a service", inputSchema: { service: z.string() } },
    async ({ service }) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (service === UNAVAILABLE_RUNBOOK_SERVICE) throw new Error("runbook store timed out");
      return { content: [{ type: "text", text: `Runbook for ${service}: restart the export worker, then check the queue.` }] };
    },
  );

  let done = false;
  const finish = async (): Promise<void> => {
    if (done) return;
    done = true;
    await telemetry.flush();
    const file = process.env.TELLTALE_DEMO_SPANS_FILE;
    if (file) writeSpans(file, telemetry.recorder.traces);
    await telemetry.shutdown();
    process.exit(0);
  };

  const transport = new StdioServerTransport();
  transport.onclose = () => void finish();
  await server.connect(transport);
  process.stdin.on("end", () => void finish());
  // The client signals a child that is slow to exit: the spans are still written.
  process.once("SIGTERM", () => void finish());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
