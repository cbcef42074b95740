/**
 * Where this package's own diagnostics go: an OpenTelemetry component logger named after the package, so the
 * messages carry no prefix of their own. (The one stderr warning about lost telemetry is not a diagnostic: it goes
 * to `warningWrite`.)
 */
import { diag, type DiagLogger } from "@opentelemetry/api";

export const NODE_DIAG: DiagLogger = diag.createComponentLogger({ namespace: "@telltale/node" });
