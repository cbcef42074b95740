// Types for mcp-tools.mjs, which stays plain JavaScript so that the fixture apps run by plain `node` (ESM and CJS)
// can load it without a build.

/** Registers the test tools, prompt and resource on a v1 (`@modelcontextprotocol/sdk`) or v2 `McpServer`. */
export function registerTestTools(server: unknown): void;
