/** The keep policy the demo runs under, in both of its processes (the agent and the MCP server). */
export const SLOW_THRESHOLD_MS = 1_500;
export const BASELINE_PERCENTAGE = 5;
