/**
 * Where core's diagnostics go: an OpenTelemetry component logger named after this package, so the messages carry
 * no prefix of their own (the logger puts the namespace first), as every Telltale package reports.
 */
import { diag, type DiagLogger } from "@opentelemetry/api";

export const CORE_DIAG: DiagLogger = diag.createComponentLogger({ namespace: "@telltale/core" });
