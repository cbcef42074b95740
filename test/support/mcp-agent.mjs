// The agent process of test/e2e/mcp.test.ts, run as `node --import @telltale/node/register mcp-agent.mjs <healthy>`:
// it starts mcp-server.mjs as its MCP server (a child process over stdio, instrumented the same way), runs one
// workflow per call (`healthy` good ones, then one whose tool fails, then a marker whose request is refused), and
// prints the runs' kinds and trace ids as JSON. Both processes export over OTLP to the collector.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { workflow } from "@telltale/core";

const healthy = Number(process.argv[2] ?? "4");
const here = path.dirname(fileURLToPath(import.meta.url));
const transport = new StdioClientTransport({
  command: process.execPath,
  args: ["--import", "@telltale/node/register", path.join(here, "mcp-server.mjs")],
  cwd: process.cwd(),
  env: { ...process.env, OTEL_SERVICE_NAME: process.env.E2E_MCP_SERVER_SERVICE },
  stderr: "inherit",
});
const client = new Client({ name: "e2e-agent", version: "1.0.0" });
await client.connect(transport);

const runs = [];
async function run(kind, order, name = "lookup_order") {
  await workflow(`orders ${kind}`, async ({ span }) => {
    runs.push({ kind, traceId: span.spanContext().traceId });
    await client.callTool({ name, arguments: { order } }, { timeout: 10_000 });
  }).catch(() => undefined); // the marker's refusal is on its trace
}
for (let index = 0; index < healthy; index++) await run("healthy", `A-${index}`);
await run("tool-error", "broken");
await run("marker", "x", "no_such_tool");
await client.close();
console.log(JSON.stringify({ runs }));
