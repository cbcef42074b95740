/**
 * Where this package's diagnostics go when no instrumentation's own logger was handed to it. Every Telltale
 * diagnostic goes through an OpenTelemetry component logger whose namespace is the npm name of the package that
 * writes it (an instrumentation's is its `_diag`, named after the instrumentation, which is its package), so the
 * messages themselves carry no prefix.
 */
import { diag, type DiagLogger } from "@opentelemetry/api";

export const COMMON_DIAG: DiagLogger = diag.createComponentLogger({ namespace: "@telltale/instrumentation-common" });
