/**
 * Where this package's diagnostics go: an OpenTelemetry component logger named after the package (the same name as
 * the instrumentation's own `_diag`), so the messages carry no prefix of their own.
 */
import { diag, type DiagLogger } from "@opentelemetry/api";

export const MCP_DIAG: DiagLogger = diag.createComponentLogger({ namespace: "@telltale/instrumentation-mcp" });
