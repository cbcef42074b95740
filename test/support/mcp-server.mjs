// The MCP server process of test/e2e/mcp.test.ts: a 2.x `@modelcontextprotocol/server` over stdio, run as
// `node --import @telltale/node/register mcp-server.mjs` with the OTEL_* / TELLTALE_* variables of a user: nothing
// Telltale-specific in the code. `lookup_order` fails for order "broken" (the SDK turns the throw into isError).
import { McpServer } from "@modelcontextprotocol/server";
import { StdioServerTransport } from "@modelcontextprotocol/server/stdio";
import { z } from "zod";

const server = new McpServer({ name: "e2e-orders", version: "1.0.0" });
server.registerTool("lookup_order", { description: "An order's status", inputSchema: { order: z.string() } }, async ({ order }) => {
  if (order === "broken") throw new Error("order store unavailable");
  return { content: [{ type: "text", text: `order ${order}: shipped` }] };
});
await server.connect(new StdioServerTransport());
