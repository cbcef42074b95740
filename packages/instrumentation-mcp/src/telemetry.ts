/** What the call tracers record with: the instrumentation's tracer, its MCP metric instruments and its config. */
import type { Attributes, Histogram, Tracer } from "@opentelemetry/api";
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from "@telltale/core/attributes";
import type { ResolvedConfig } from "./config.js";

export interface McpTelemetry {
  readonly tracer: Tracer;
  readonly config: ResolvedConfig;
  readonly clientOperationDuration: Histogram;
  readonly serverOperationDuration: Histogram;
  readonly clientSessionDuration: Histogram;
  readonly serverSessionDuration: Histogram;
  /** False while the meter is a no-op one: the calls then skip building metric attributes at all. */
  readonly metricsEnabled: boolean;
}

/** Bucket boundaries the MCP conventions give for all four duration histograms (seconds). */
export const DURATION_BUCKETS_S = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

// The span attributes the MCP conventions list on the operation-duration metrics (low cardinality only: never the
// request id, session id or resource URI).
const METRIC_KEYS = [
  ATTR_MCP_METHOD_NAME,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
] as const;

/** The metric attributes of a finished request, picked from what its span recorded. */
export function metricAttributes(recorded: Readonly<Attributes>): Attributes {
  const picked: Attributes = {};
  for (const key of METRIC_KEYS) {
    const value = recorded[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}
